/**
 * The admin dashboard over HTTP against the real stack (keys mode): the login
 * sets an HttpOnly, SameSite=Strict session cookie (never the token), the
 * overview's numbers match /metrics, per-key usage counts, keys are created
 * and revoked with the session (and the dashboard header), fill links point
 * at the Temporal UI, and a wrong token gets 401 and no data. Then the same
 * in a real headless Chromium (puppeteer-core driving the Chromium inside the
 * @sparticuz/chromium npm package: nothing is downloaded at test time), with
 * screenshots in test-artifacts/dashboard/: the page logs no console error
 * (no 401 before login, no 404), and its time charts span the last minutes,
 * not years.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core' with { 'resolution-mode': 'import' };
import { launchBrowser, type PageGlobals as Doc } from '../support/browser';
import { ask } from '../support/gateway';

import { useGateway } from '../support/harness';

const ADMIN = 'admin-dashboard-e2e-token';
// The dev server's Web UI runs too, so the page's fill links can be followed into it.
const h = useGateway(
  (stack) => ({ REFLEX_UPSTREAM_API_KEY: 'sk-upstream-dashboard', REFLEX_ADMIN_TOKEN: ADMIN, REFLEX_TEMPORAL_UI_URL: `http://127.0.0.1:${stack.uiPort}`, REFLEX_INDEX_MAX_ATTEMPTS: '2' }),
  { ui: true },
);

const page = (route: string, init: RequestInit = {}) => fetch(h.gateway.url + route, { redirect: 'manual', ...init });

async function login(token: string): Promise<{ status: number; cookie?: string; setCookie: string }> {
  const res = await page('/admin/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
  const setCookie = res.headers.get('set-cookie') ?? '';
  return { status: res.status, setCookie, cookie: setCookie.split(';')[0] || undefined };
}

async function metric(name: string, labels: string): Promise<number> {
  const text = await (await page('/metrics')).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

test('the page and its assets load without a session and show no data; the overview needs one', async () => {
  expect((await page('/admin')).status).toBe(200);
  const html = await page('/admin/');
  expect(html.status).toBe(200);
  expect(html.headers.get('content-security-policy')).toContain("default-src 'none'");
  const body = await html.text();
  expect(body).toContain('id="login-form"');
  expect(body).not.toMatch(/https?:\/\//); // no CDN: every asset is this origin's
  for (const asset of ['uplot.js', 'uplot.css', 'dashboard.js', 'dashboard.css']) expect((await page(`/admin/assets/${asset}`)).status).toBe(200);
  expect((await page('/admin/assets/../../package.json')).status).toBe(404);
  const anonymous = await page('/admin/overview');
  expect(anonymous.status).toBe(401);
  expect(await anonymous.text()).not.toContain('stats');
  expect((await page('/admin/eval/curve.svg')).status).toBe(401);
});

test('a wrong token: 401, no cookie, no data', async () => {
  const wrong = await login('not-the-token');
  expect(wrong.status).toBe(401);
  expect(wrong.setCookie).toBe('');
  const forged = await page('/admin/overview', { headers: { cookie: 'reflex_admin=9999999999999.00.abc' } });
  expect(forged.status).toBe(401);
});

test('logged in: HttpOnly SameSite=Strict cookie without the token; overview numbers match /metrics; per-key usage; keys created and revoked', async () => {
  const session = await login(ADMIN);
  expect(session.status).toBe(204);
  expect(session.setCookie).toMatch(/httponly/i);
  expect(session.setCookie).toMatch(/samesite=strict/i);
  expect(session.setCookie).toMatch(/path=\/admin/i);
  expect(session.setCookie).not.toContain(ADMIN);
  const withSession = (init: RequestInit = {}) => ({ ...init, headers: { ...(init.headers as Record<string, string>), cookie: session.cookie! } });

  // A key made with the session (the dashboard's header is required for a change).
  const refused = await page('/admin/keys', withSession({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'nope' }) }));
  expect(refused.status).toBe(403);
  const created = await page('/admin/keys', withSession({ method: 'POST', headers: { 'content-type': 'application/json', 'x-reflex-dashboard': '1' }, body: JSON.stringify({ name: 'dash', namespace: 'team-dash' }) }));
  expect(created.status).toBe(201);
  const key = (await created.json()) as { id: string; key: string };

  const q = ask('How many moons does Jupiter have?', 'gpt-4o-mini');
  const miss = await h.gateway.chat(q, key.key);
  expect(miss.headers.get('x-reflex-status')).toBe('MISS');
  await h.gateway.awaitFill(miss);
  for (let i = 0; i < 3; i++) expect((await h.gateway.chat(q, key.key)).headers.get('x-reflex-status')).toBe('HIT_L1_EXACT');

  const res = await page('/admin/overview', withSession());
  expect(res.status).toBe(200);
  const o = (await res.json()) as any;
  expect(o.stats.requests.HIT_L1_EXACT).toBe(await metric('reflex_requests_total', 'status="200",tier="HIT_L1_EXACT"'));
  expect(o.stats.requests.MISS).toBe(await metric('reflex_requests_total', 'status="200",tier="MISS"'));
  expect(o.stats.requests.HIT_L1_EXACT).toBeGreaterThanOrEqual(3);
  const savedPrompt = await metric('reflex_tokens_saved_total', 'type="prompt"');
  expect(savedPrompt).toBeGreaterThan(0);
  expect(o.saved.tokens.prompt).toBe(savedPrompt);
  expect(o.saved.usd).toBeGreaterThan(0); // the fake upstream answers as the model asked: gpt-4o-mini has a list price
  expect(o.latency.HIT_L1_EXACT.p50).toBeGreaterThan(0);
  expect(o.history.at(-1).requests.HIT_L1_EXACT).toBeGreaterThanOrEqual(1);
  const listed = o.keys.find((k: { id: string }) => k.id === key.id);
  expect(listed.usage).toMatchObject({ requests: 4, hits: 3 });
  expect(JSON.stringify(o)).not.toContain(key.key);
  expect(o.fills.temporal.replayable).toBe(0);
  expect(o.fills.temporal.failedLink.startsWith(`http://127.0.0.1:${h.stack.uiPort}/namespaces/default/workflows?query=`)).toBe(true);

  const revoked = await page(`/admin/keys/${key.id}`, withSession({ method: 'DELETE', headers: { 'x-reflex-dashboard': '1' } }));
  expect(revoked.status).toBe(200);
  expect((await h.gateway.chat(q, key.key)).status).toBe(401);

  // No eval plotted with this REFLEX_HOME yet: 404, and the page keeps that section hidden.
  expect((await page('/admin/eval/curve.svg', withSession())).status).toBe(404);

  const out = await page('/admin/logout', { method: 'POST', headers: { cookie: session.cookie! } });
  expect(out.status).toBe(204);
  expect(out.headers.get('set-cookie')).toMatch(/reflex_admin=;/);
});

describe('in a real headless Chromium', () => {
  const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts/dashboard');
  let browser: Browser;
  let tab: Page;
  const pageErrors: string[] = [];
  /** What the browser console reports as errors (failed loads included), with the URL each names. */
  const consoleErrors: string[] = [];
  const shot = (name: string) => tab.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  const textOf = (selector: string) => tab.$eval(selector, (el) => el.textContent ?? '');
  const visible = (selector: string) => tab.waitForSelector(`${selector}:not([hidden])`, { timeout: 15_000 });
  const count = (s: string) => Number(s.replace(/,/g, ''));

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await launchBrowser();
    tab = await browser.newPage();
    await tab.setViewport({ width: 1280, height: 900 });
    tab.on('pageerror', (err) => pageErrors.push(String(err)));
    tab.on('console', (m) => void (m.type() === 'error' && consoleErrors.push(`${m.text()} ${m.location().url ?? ''}`)));
    tab.on('dialog', (dialog) => void dialog.accept()); // the revoke confirmation
  }, 60_000);
  afterAll(() => browser?.close());

  test('a wrong token: the page says so and shows no data; no cookie; before it, the console stays clean', async () => {
    await tab.goto(`${h.gateway.url}/admin/`, { waitUntil: 'networkidle0' });
    await visible('#login');
    expect(consoleErrors).toEqual([]); // no 401 asking for data without a session, no favicon 404
    await tab.type('#token', 'wrong-token');
    await tab.click('#login-form button');
    await visible('#login-error');
    expect(await textOf('#login-error')).toContain('not the admin token');
    expect(await tab.$eval('#dashboard', (el) => (el as unknown as { hidden: boolean }).hidden)).toBe(true);
    expect(await browser.cookies()).toEqual([]);
    expect(consoleErrors).toEqual([expect.stringMatching(/status of 401 .*\/admin\/login$/)]); // the refusal itself, nothing else
    consoleErrors.length = 0;
    await shot('1-login-refused');
  });

  test('log in, see the numbers of /metrics, create a key, follow a fill link into the Temporal UI, revoke the key', async () => {
    await tab.type('#token', ADMIN);
    await tab.click('#login-form button');
    await visible('#dashboard');
    const cookie = (await browser.cookies()).find((c) => c.name === 'reflex_admin')!;
    expect([cookie.httpOnly, cookie.sameSite]).toEqual([true, 'Strict']);
    expect(await tab.evaluate(() => (globalThis as unknown as Doc).document.cookie)).toBe(''); // HttpOnly: no script reads it

    // A key from the page; its secret is shown once.
    await tab.type('#key-name', 'from-the-browser');
    await tab.click('#key-form button');
    await visible('#key-secret');
    const secret = /rfx-[A-Za-z0-9_-]+/.exec(await textOf('#key-secret'))![0];
    const id = /key_[0-9a-f]{16}/.exec(await textOf('#key-secret'))![0];

    // Requests through the gateway with it: one miss, two hits.
    const q = ask('Which planet has the shortest day?', 'gpt-4o-mini');
    await h.gateway.awaitFill(await h.gateway.chat(q, secret));
    for (let i = 0; i < 2; i++) expect((await h.gateway.chat(q, secret)).headers.get('x-reflex-status')).toBe('HIT_L1_EXACT');

    // A fill that fails (Milvus down past its index budget), to have one to follow.
    await h.stack.stopMilvus();
    const failing = await h.gateway.chat(ask('Why do cats purr?', 'gpt-4o-mini'), secret);
    expect(failing.status).toBe(200);
    await expect(h.gateway.awaitFill(failing)).rejects.toThrow();
    await h.stack.startMilvus();

    await tab.reload({ waitUntil: 'networkidle0' });
    await visible('#dashboard');
    await tab.waitForSelector('#fills-failed tbody tr a', { timeout: 15_000 });
    expect(consoleErrors).toEqual([]); // no 404 for an eval picture never plotted, none for a favicon
    expect(count(await textOf('#hits-l1'))).toBe(await metric('reflex_requests_total', 'status="200",tier="HIT_L1_EXACT"'));
    expect(count(await textOf('#misses'))).toBe(await metric('reflex_requests_total', 'status="200",tier="MISS"'));
    expect(count(await textOf('#hits-l1'))).toBeGreaterThanOrEqual(2);
    expect(count(await textOf('#tokens-prompt'))).toBe(await metric('reflex_tokens_saved_total', 'type="prompt"'));
    const row = await tab.$$eval(`#keys tbody tr`, (trs, key) => trs.map((tr) => Array.from(tr.children, (td) => (td as unknown as { textContent: string }).textContent)).find((cells) => cells[2] === key), id);
    expect(row?.slice(0, 5)).toEqual(['from-the-browser', id, id, '4', '2']);
    // The charts drew (uPlot from node_modules), and the page threw nothing.
    for (const chart of ['#chart-hit-rate', '#chart-requests', '#chart-latency']) expect(await tab.$(`${chart} canvas`)).not.toBeNull();
    // The time axes: the few samples of this run, shown over the last ten minutes to now (not years).
    const ranges = (await tab.evaluate('Object.values(charts).map((c) => [c.plot.scales.x.min, c.plot.scales.x.max])')) as [number, number][];
    expect(ranges).toHaveLength(3);
    for (const [min, max] of ranges) {
      expect(max - min).toBeGreaterThanOrEqual(600);
      expect(max - min).toBeLessThanOrEqual(3_610);
      expect(Math.abs(max - Date.now() / 1000)).toBeLessThan(120);
    }
    expect(pageErrors).toEqual([]);
    await shot('2-dashboard');

    const failedId = failing.headers.get('x-reflex-fill-id')!;
    const href = await tab.$eval('#fills-failed tbody tr a', (a) => (a as unknown as { href: string }).href);
    expect(await textOf('#fills-failed tbody tr a')).toBe(failedId);
    await tab.goto(href);
    await tab.waitForFunction((wf) => (globalThis as unknown as Doc).document.body.innerText.includes(wf), { timeout: 30_000 }, failedId);
    await shot('3-temporal-ui-fill');

    await tab.goto(`${h.gateway.url}/admin/`);
    await visible('#dashboard');
    await tab.waitForSelector(`#keys button[data-key="${id}"]`);
    await tab.click(`#keys button[data-key="${id}"]`);
    await tab.waitForFunction((key) => !(globalThis as unknown as Doc).document.querySelector(`#keys button[data-key="${key}"]`), { timeout: 15_000 }, id);
    expect((await h.gateway.chat(q, secret)).status).toBe(401);
    await shot('4-key-revoked');
  });
});
