/**
 * The admin dashboard over HTTP against the real stack (keys mode): the login
 * sets an HttpOnly, SameSite=Strict session cookie (never the token), the
 * overview's numbers match /metrics, per-key usage counts, keys are created
 * and revoked with the session (and the dashboard header), fill links point
 * at the Temporal UI, and a wrong token gets 401 and no data.
 */
import { ask } from '../support/gateway';
import { useGateway } from '../support/harness';

const ADMIN = 'admin-dashboard-e2e-token';
const h = useGateway({ REFLEX_UPSTREAM_API_KEY: 'sk-upstream-dashboard', REFLEX_ADMIN_TOKEN: ADMIN, REFLEX_TEMPORAL_UI_URL: 'http://ui.example.test' });

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
  expect(o.fills.temporal.failedLink).toMatch(/^http:\/\/ui\.example\.test\/namespaces\/default\/workflows\?query=/);

  const revoked = await page(`/admin/keys/${key.id}`, withSession({ method: 'DELETE', headers: { 'x-reflex-dashboard': '1' } }));
  expect(revoked.status).toBe(200);
  expect((await h.gateway.chat(q, key.key)).status).toBe(401);

  const out = await page('/admin/logout', { method: 'POST', headers: { cookie: session.cookie! } });
  expect(out.status).toBe(204);
  expect(out.headers.get('set-cookie')).toMatch(/reflex_admin=;/);
});
