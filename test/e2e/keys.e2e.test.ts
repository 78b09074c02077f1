/**
 * Gateway keys end to end (REFLEX_UPSTREAM_API_KEY set, default auth = keys):
 * unknown callers are refused before the provider is reached, keys created by
 * the admin API or `reflex keys` work, revocation holds at once on a second
 * API replica sharing the storage, and per-key limits, model lists, expiry
 * and namespaces behave as documented. No secret reaches the logs, the key
 * store or Temporal.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { runCli } from '../support/cli';
import { ask, ChatResponse, GatewayProcess } from '../support/gateway';
import { useGateway } from '../support/harness';

const ADMIN = 'admin-keys-e2e';
const UPSTREAM_KEY = 'sk-upstream-e2e-SECRET-77aa';
const env = { REFLEX_UPSTREAM_API_KEY: UPSTREAM_KEY, REFLEX_ADMIN_TOKEN: ADMIN, REFLEX_LOG_LEVEL: 'debug' };
const h = useGateway(env);
let replica: GatewayProcess;
const secrets: string[] = [];

beforeAll(async () => {
  // A second API process on the same REFLEX_HOME: same key store, entries and tenant secret.
  replica = new GatewayProcess(h.stack, { ...env, REFLEX_UPSTREAM_URL: h.upstream.url }, 'api');
  await replica.start();
}, 120_000);
afterAll(() => replica?.stop());

const status = (res: ChatResponse) => res.headers.get('x-reflex-status');
const admin = (method: string, route: string, body?: unknown) => h.gateway.request(method, route, body === undefined ? undefined : JSON.stringify(body), ADMIN);
/** History JSON with payload bytes (base64 "data" fields) as text, so a secret inside a payload would show. */
const sha16 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);

async function createKey(options: Record<string, unknown>): Promise<{ id: string; key: string; tenant: string; namespace: string }> {
  const res = await admin('POST', '/admin/keys', options);
  expect(res.status).toBe(201);
  secrets.push(res.body.key);
  return res.body;
}

test('an unknown, missing or provider bearer token gets 401 and never reaches the provider', async () => {
  const before = h.upstream.received.length;
  for (const token of ['sk-made-up', UPSTREAM_KEY, undefined]) {
    const body = JSON.stringify(ask('Who may spend the provider key?'));
    for (const res of [
      await h.gateway.request('POST', '/v1/chat/completions', body, token),
      await h.gateway.request('POST', '/V1/Chat/Completions', body, token), // the router matches any case
      await h.gateway.request('GET', '/v1/models', undefined, token),
    ]) {
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: { message: expect.any(String), type: 'authentication_error', param: null, code: 'invalid_api_key' } });
    }
  }
  expect(h.upstream.received.length).toBe(before);
});

test('a created key works (MISS then HIT) with the gateway key never sent upstream; it is listed without secrets; DELETE stops it at once on every replica', async () => {
  const created = await createKey({ name: 'ci', rate_limit: { requests_per_minute: 100 } });
  expect(created).toMatchObject({ id: expect.stringMatching(/^key_/), key: expect.stringMatching(/^rfx-/), name: 'ci', namespace: created.id, tenant: expect.stringMatching(/^[0-9a-f]{16}$/) });
  const q = ask('How long does a gateway key stay valid?');
  const miss = await h.gateway.chat(q, created.key);
  expect([miss.status, status(miss)]).toEqual([200, 'MISS']);
  expect(miss.headers.get('x-ratelimit-limit-requests')).toBe('100');
  expect(h.upstream.received.at(-1)!.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
  const fillId = miss.headers.get('x-reflex-fill-id')!;
  expect(fillId).toContain(created.tenant);
  for (const plain of [sha16(created.key), sha16(created.namespace)]) expect(fillId).not.toContain(plain);
  await h.gateway.awaitFill(miss);
  expect(status(await h.gateway.chat(q, created.key))).toBe('HIT_L1_EXACT');
  expect(status(await replica.chat(q, created.key))).toBe('HIT_L1_EXACT'); // the replica reads the same keys and entries

  const listed = await admin('GET', '/admin/keys');
  expect(listed.body.data).toEqual(expect.arrayContaining([expect.objectContaining({ id: created.id, name: 'ci', expired: false })]));
  expect(JSON.stringify(listed.body)).not.toContain(created.key);
  expect(JSON.stringify(listed.body)).not.toMatch(/[0-9a-f]{64}/);

  const deleted = await admin('DELETE', `/admin/keys/${created.id}`);
  expect(deleted.status).toBe(200);
  expect((await replica.chat(q, created.key)).status).toBe(401);
  expect((await h.gateway.chat(q, created.key)).status).toBe(401);
  const again = await admin('DELETE', `/admin/keys/${created.id}`);
  expect([again.status, again.body.error.type]).toEqual([404, 'not_found_error']);
});

test('the admin key API needs the admin token and validates its input with OpenAI-shaped 400s', async () => {
  expect((await h.gateway.request('POST', '/admin/keys', JSON.stringify({ name: 'x' }), 'rfx-not-admin')).status).toBe(401);
  for (const [body, param] of [
    [{}, 'name'],
    [{ name: 'x', namespace: 'a/b' }, 'namespace'],
    [{ name: 'x', rate_limit: { requests_per_minute: 0 } }, 'rate_limit.requests_per_minute'],
    [{ name: 'x', expires_at: 'tomorrow' }, 'expires_at'],
    [{ name: 'x', scopes: ['all'] }, null],
  ] as const) {
    const res = await admin('POST', '/admin/keys', body);
    expect([res.status, res.body.error.type, res.body.error.param]).toEqual([400, 'invalid_request_error', param]);
  }
});

test('a rate-limited key gets 429 with Retry-After and the x-ratelimit headers, without calling the provider', async () => {
  const { key } = await createKey({ name: 'slow', rate_limit: { requests_per_minute: 2 } });
  const q = ask('What is two plus two?');
  expect((await h.gateway.chat(q, key)).headers.get('x-ratelimit-remaining-requests')).toBe('1');
  expect((await h.gateway.chat(q, key)).headers.get('x-ratelimit-remaining-requests')).toBe('0');
  const before = h.upstream.received.length;
  const limited = await h.gateway.chat(q, key);
  expect(limited.status).toBe(429);
  expect(limited.body.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
  expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(limited.headers.get('x-ratelimit-limit-requests')).toBe('2');
  expect(limited.headers.get('x-ratelimit-remaining-requests')).toBe('0');
  expect(limited.headers.get('x-ratelimit-reset-requests')).toMatch(/^(\d+(\.\d+)?s|1m0s)$/);
  expect(h.upstream.received.length).toBe(before);
});

test('a model outside the key allow-list gets 403 permission_error; an expired key gets 401', async () => {
  const { key } = await createKey({ name: 'mini-only', models: ['test-model'] });
  const denied = await h.gateway.chat(ask('Which models may I use?', 'other-model'), key);
  expect([denied.status, denied.body.error.type, denied.body.error.param]).toEqual([403, 'permission_error', 'model']);
  expect((await h.gateway.request('GET', '/v1/models/other-model', undefined, key)).status).toBe(403);
  expect((await h.gateway.chat(ask('Which models may I use?'), key)).status).toBe(200);

  const short = await createKey({ name: 'short', expires_in: 1 });
  expect((await h.gateway.chat(ask('Which models may I use?'), short.key)).status).toBe(200);
  await new Promise((r) => setTimeout(r, 1_200));
  const expired = await h.gateway.chat(ask('Which models may I use?'), short.key);
  expect([expired.status, expired.body.error.code]).toEqual([401, 'invalid_api_key']);
});

test('keys with one namespace share a cache; another namespace does not see it (a key from `reflex keys` too)', async () => {
  const a = await createKey({ name: 'a', namespace: 'team-x' });
  const b = await createKey({ name: 'b', namespace: 'team-x' });
  const c = await createKey({ name: 'c', namespace: 'team-y' });
  expect(a.tenant).toBe(b.tenant);
  expect(a.tenant).not.toBe(c.tenant);
  const q = ask('What does a shared cache namespace mean?');
  const miss = await h.gateway.chat(q, a.key);
  expect(status(miss)).toBe('MISS');
  await h.gateway.awaitFill(miss);
  // The Temporal UI's list names the key and its namespace, not the tenant hash.
  const described = await (await h.gateway.temporalClient()).workflow.getHandle(miss.headers.get('x-reflex-fill-id')!).describe();
  expect(await described.staticSummary()).toBe('chat · test-model · a (team-x) · “What does a shared cache namespace mean?”');
  expect(status(await h.gateway.chat(q, b.key))).toBe('HIT_L1_EXACT');
  expect(status(await h.gateway.chat(q, c.key))).toBe('MISS');

  const cli = await runCli(h.stack, ['keys', 'create', '--name', 'from-cli', '--namespace', 'team-x'], env);
  expect(cli.code).toBe(0);
  const made = JSON.parse(cli.stdout);
  secrets.push(made.key);
  expect(made).toMatchObject({ name: 'from-cli', namespace: 'team-x', tenant: a.tenant });
  expect(status(await replica.chat(q, made.key))).toBe('HIT_L1_EXACT');
  const list = await runCli(h.stack, ['keys', 'list'], env);
  expect(JSON.parse(list.stdout).data.map((k: { id: string }) => k.id)).toContain(made.id);
  expect(list.stdout).not.toContain(made.key);
  expect((await runCli(h.stack, ['keys', 'revoke', made.id], env)).code).toBe(0);
  expect((await replica.chat(q, made.key)).status).toBe(401);
});

test('no gateway key or provider key is in the logs, the key store or Temporal', async () => {
  expect(secrets.length).toBeGreaterThan(5);
  const logs = readFileSync(path.join(h.stack.home, 'gateway.log'), 'utf8');
  const keyDir = path.join(h.stack.home, 'data', 'keys');
  const stored = readdirSync(keyDir).map((f) => readFileSync(path.join(keyDir, f), 'utf8')).join('\n');
  const client = await h.gateway.temporalClient();
  let histories = '';
  for await (const wf of client.workflow.list({ query: 'WorkflowType = "cacheFillWorkflow"' })) {
    histories += await h.gateway.historyText(wf.workflowId, wf.runId);
  }
  expect(histories.includes('requestRef')).toBe(true); // payloads were decoded (they hold references, not prompts)
  for (const secret of [...secrets, UPSTREAM_KEY, ADMIN]) {
    expect({ secret, inLogs: logs.includes(secret), inKeyStore: stored.includes(secret), inTemporal: histories.includes(secret) }).toEqual({ secret, inLogs: false, inKeyStore: false, inTemporal: false });
  }
});
