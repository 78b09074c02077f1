/**
 * /admin through the real Koa app with fake stages: auth (off = 404, wrong
 * token = 401), stats' hit rates, and how delete/purge failures reach the
 * caller (Temporal unreachable vs. the workflow failed).
 */
import { ApplicationFailure, RetryState, TerminatedFailure } from '@temporalio/common';
import { ServiceError, WorkflowFailedError } from '@temporalio/client';
import { FREE_TRIES } from '../../src/api/middleware/loginBackoff';
import { FakeApp, Fakes, chat, entryOf, json, startFakeApp } from './fakeApp';

const TOKEN = 'admin-secret';
const TENANT = '0123456789abcdef';
const KEY = 'f'.repeat(64);

let app: FakeApp;
afterEach(() => app?.close());

/** null: no Authorization header at all. */
const admin = (method: string, route: string, token: string | null = TOKEN) =>
  fetch(`${app.url}/admin${route}`, { method, headers: token ? { authorization: `Bearer ${token}` } : {} });

describe('admin auth', () => {
  test('without REFLEX_ADMIN_TOKEN the admin API answers 404 admin_disabled', async () => {
    app = await startFakeApp();
    const res = await admin('GET', '/stats', 'anything');
    expect(res.status).toBe(404);
    expect((await json(res)).error).toMatchObject({ code: 'admin_disabled' });
  });

  test.each([[null], ['wrong'], [`${TOKEN}x`]])('token %s is a 401 authentication_error', async (token) => {
    app = await startFakeApp({ adminToken: TOKEN });
    const res = await admin('DELETE', `/tenants/${TENANT}`, token);
    expect(res.status).toBe(401);
    expect((await json(res)).error).toMatchObject({ type: 'authentication_error', code: 'invalid_admin_token' });
  });

  test('a malformed tenant is a 400 naming it', async () => {
    app = await startFakeApp({ adminToken: TOKEN });
    const res = await admin('DELETE', '/tenants/nothex');
    expect(res.status).toBe(400);
    expect((await json(res)).error).toMatchObject({ param: 'tenant', code: 'invalid_tenant' });
  });
});

describe('dashboard login', () => {
  const login = (token: string) => fetch(`${app.url}/admin/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });

  test('repeated wrong tokens slow the client down: then a 429 with Retry-After, the right token included, until the wait is over', async () => {
    app = await startFakeApp({ adminToken: TOKEN });
    for (let i = 0; i <= FREE_TRIES; i++) expect((await login('wrong')).status).toBe(401); // the last one starts a 1 s wait
    const waiting = await login(TOKEN);
    expect(waiting.status).toBe(429);
    expect(waiting.headers.get('retry-after')).toBe('1');
    expect((await json(waiting)).error).toMatchObject({ type: 'rate_limit_error', code: 'admin_login_backoff' });
    await new Promise((r) => setTimeout(r, 1_050));
    expect((await login(TOKEN)).status).toBe(204);
    expect((await login('wrong')).status).toBe(401); // the right token cleared the count
    expect((await login(TOKEN)).status).toBe(204);
  });

  test('the page tells its script whether this browser has a session, so it asks for no data it would be refused', async () => {
    app = await startFakeApp({ adminToken: TOKEN });
    const page = (cookie?: string) => fetch(`${app.url}/admin/`, { headers: cookie ? { cookie } : {} }).then((r) => r.text());
    expect(await page()).toContain('<body data-session="0">');
    expect(await page('reflex_admin=9999999999999.00.forged')).toContain('<body data-session="0">');
    const cookie = (await login(TOKEN)).headers.get('set-cookie')!.split(';')[0]!;
    expect(await page(cookie)).toContain('<body data-session="1">');
  });
});

describe('admin auth comes first', () => {
  test('an anonymous caller gets 401 on every admin path and method, never a 405 or a body error', async () => {
    app = await startFakeApp({ adminToken: TOKEN });
    for (const [method, route] of [['DELETE', '/stats'], ['PUT', '/keys'], ['PUT', `/tenants/${TENANT}`], ['PATCH', '/keys/key_1'], ['DELETE', '/nothing-here'], ['GET', '/overview'], ['POST', '/overview'], ['GET', '/assets']]) {
      const res = await admin(method!, route!, null);
      expect([method, route, res.status]).toEqual([method, route, 401]);
      expect(res.headers.get('allow')).toBeNull();
    }
    // A malformed body is not even read before the token is checked.
    const res = await fetch(`${app.url}/admin/keys`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":' });
    expect(res.status).toBe(401);
    // The exception: the dashboard's login page (and its assets), which hold no data.
    const page = await admin('GET', '', null);
    expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    // With the token, the same method errors are still reported.
    expect((await admin('PUT', '/stats')).status).toBe(405);
  });
});

describe('admin stats', () => {
  test('hit rates are over the requests that looked the cache up; refresh and bypass have their own tiers', async () => {
    let hit = true;
    app = await startFakeApp({ adminToken: TOKEN, lookup: async () => (hit ? { status: 'HIT_L1_EXACT', entry: entryOf('x') } : { status: 'MISS' }) });
    await app.post(chat());
    hit = false;
    await app.post(chat());
    await app.post(chat(), { 'x-reflex-cache': 'refresh' });
    await app.post(chat(), { 'x-reflex-cache': 'bypass' });
    const stats = await json(await admin('GET', '/stats'));
    expect(stats.requests).toEqual({ HIT_L1_EXACT: 1, MISS: 1, REFRESH: 1, BYPASS: 1 });
    expect(stats.hitRate).toEqual({ l1: 0.5, l3: 0, total: 0.5, joined: 0 });
  });
});

describe('admin delete and purge failures', () => {
  const workflowFailed = () => new WorkflowFailedError('Workflow execution failed', ApplicationFailure.nonRetryable('storage is read-only', 'EROFS'), RetryState.NON_RETRYABLE_FAILURE);
  const cases: Array<[string, string, keyof Fakes]> = [
    ['delete', `/entries/${TENANT}/${KEY}`, 'deleteEntry'],
    ['purge', `/tenants/${TENANT}`, 'purgeTenant'],
  ];

  test.each(cases)('%s: the workflow failed is a 500 server_error naming the failure', async (_kind, route, fake) => {
    app = await startFakeApp({ adminToken: TOKEN, [fake]: async () => Promise.reject(workflowFailed()) });
    const res = await admin('DELETE', route);
    expect(res.status).toBe(500);
    const { error } = await json(res);
    expect(error).toMatchObject({ type: 'server_error', code: 'maintenance_failed' });
    expect(error.message).toMatch(/storage is read-only/);
    expect(error.message).not.toMatch(/unavailable/);
  });

  test.each(cases)('%s: a terminated workflow is a 500 saying so', async (_kind, route, fake) => {
    const terminated = new WorkflowFailedError('Workflow execution terminated', new TerminatedFailure('by operator'), RetryState.NON_RETRYABLE_FAILURE);
    app = await startFakeApp({ adminToken: TOKEN, [fake]: async () => Promise.reject(terminated) });
    const res = await admin('DELETE', route);
    expect(res.status).toBe(500);
    expect((await json(res)).error.message).toMatch(/terminated/i);
  });

  test.each(cases)('%s: Temporal unreachable is a 503 temporal_unavailable', async (_kind, route, fake) => {
    app = await startFakeApp({ adminToken: TOKEN, [fake]: async () => Promise.reject(new ServiceError('Failed to connect before the deadline')) });
    const res = await admin('DELETE', route);
    expect(res.status).toBe(503);
    expect((await json(res)).error).toMatchObject({ type: 'service_unavailable', code: 'temporal_unavailable' });
  });

  test('a successful delete reports what it removed', async () => {
    app = await startFakeApp({ adminToken: TOKEN });
    const res = await admin('DELETE', `/entries/${TENANT}/${KEY}`);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ deleted: 1, tenant: TENANT, key: KEY });
  });
});
