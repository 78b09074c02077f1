/** Gateway keys: the store (hashed, durable, shared), the per-key limiter, and the /v1 auth middleware. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Koa from 'koa';
import { Authenticator, authNotice } from '../../src/auth/authenticate';
import { FileKeyStore } from '../../src/auth/fileKeyStore';
import { KeyRateLimiter, openAIDuration, rateLimitHeaders } from '../../src/auth/rateLimit';
import type { LeasedCount } from '../../src/auth/leasedCount';
import { fake } from '../support/fake';
import { gatewayAuth, onV1 } from '../../src/api/middleware/gatewayAuth';
import { openAIErrors } from '../../src/api/middleware/errors';
import { TenantHasher } from '../../src/cache/keys/tenant';
import { loadConfig } from '../../src/config';

let dir: string;
beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'reflex-keys-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('key store', () => {
  test('stores a hash, never the secret, and finds the key by its secret', async () => {
    const store = new FileKeyStore(dir);
    const { key, secret } = await store.create({ name: 'ci', models: ['gpt-4o-mini'] });
    expect(secret).toMatch(/^rfx-[A-Za-z0-9_-]{43}$/);
    expect(key).toMatchObject({ id: expect.stringMatching(/^key_[0-9a-f]{16}$/), name: 'ci', namespace: key.id, models: ['gpt-4o-mini'] });
    const files = readdirSync(dir);
    expect(files).toEqual([expect.stringMatching(/^[0-9a-f]{64}\.json$/)]);
    expect(readFileSync(path.join(dir, files[0]!), 'utf8')).not.toContain(secret.slice(4));
    expect(store.find(secret)).toEqual(key);
    expect(store.find(`${secret}x`)).toBeUndefined();
    expect(store.find('')).toBeUndefined();
  });

  test('another process (another store on the same directory) sees creation and revocation at once', async () => {
    const a = new FileKeyStore(dir);
    const b = new FileKeyStore(dir);
    const { key, secret } = await a.create({ name: 'shared', namespace: 'team-a' });
    expect(b.find(secret)?.id).toBe(key.id);
    expect(await a.remove(key.id)).toBe(true);
    expect(b.find(secret)).toBeUndefined();
    expect(await a.remove(key.id)).toBe(false);
    expect(await a.remove('../../etc/passwd')).toBe(false);
  });

  test('a rewritten key file is re-read (cached by mtime)', async () => {
    const store = new FileKeyStore(dir);
    const { key, secret } = await store.create({ name: 'x' });
    expect(store.find(secret)?.name).toBe('x');
    const file = path.join(dir, readdirSync(dir)[0]!);
    writeFileSync(file, JSON.stringify({ ...key, name: 'renamed' }));
    const later = new Date(Date.now() + 5_000);
    utimesSync(file, later, later);
    expect(store.find(secret)?.name).toBe('renamed');
  });

  test('list has every key without secrets or hashes; expiry from expires_in', async () => {
    const store = new FileKeyStore(dir);
    const now = new Date('2030-01-01T00:00:00Z');
    const one = await store.create({ name: 'one', expires_in: 60 }, now);
    const two = await store.create({ name: 'two', rate_limit: { requests_per_minute: 5 } }, new Date('2030-01-02T00:00:00Z'));
    const listed = await store.list();
    expect(listed.map((k) => k.name)).toEqual(['one', 'two']);
    expect(listed[0]!.expires_at).toBe('2030-01-01T00:01:00.000Z');
    const text = JSON.stringify(listed);
    for (const s of [one.secret, two.secret]) expect(text).not.toContain(s);
    expect(text).not.toMatch(/[0-9a-f]{64}/);
  });

  test('options are validated (unknown fields, bad namespace, both expiries, past expiry)', async () => {
    const store = new FileKeyStore(dir);
    await expect(store.create({ name: '' })).rejects.toThrow();
    await expect(store.create({ name: 'a', namespace: '../x' })).rejects.toThrow();
    await expect(store.create({ name: 'a', expires_in: 5, expires_at: '2099-01-01T00:00:00Z' })).rejects.toThrow();
    await expect(store.create({ name: 'a', expires_at: '2001-01-01T00:00:00Z' })).rejects.toThrow();
    await expect(store.create({ name: 'a', admin: true } as never)).rejects.toThrow();
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
  });
});

describe('rate limiter', () => {
  test('allows N per minute, then refuses with the time until the window resets', async () => {
    const limiter = new KeyRateLimiter();
    const first = await limiter.take('k1', 2);
    expect(first).toMatchObject({ allowed: true, limit: 2, remaining: 1 });
    expect((await limiter.take('k1', 2)).remaining).toBe(0);
    const refused = await limiter.take('k1', 2);
    expect(refused).toMatchObject({ allowed: false, remaining: 0 });
    expect(refused.resetMs).toBeGreaterThan(50_000);
    expect((await limiter.take('k2', 2)).allowed).toBe(true); // keys are counted apart
    const headers = rateLimitHeaders(refused);
    expect(headers['retry-after']).toMatch(/^(5\d|60)$/);
    expect(headers['x-ratelimit-reset-requests']).toMatch(/^(\d+(\.\d+)?s|1m0s)$/); // a full window is 1m0s
    expect(rateLimitHeaders(first)['retry-after']).toBeUndefined();
  });

  test('in memory the decision is synchronous, and the full limit is back a minute after the window opened', () => {
    const limiter = new KeyRateLimiter();
    const t0 = 1_000_000;
    expect(limiter.takeNow('k', 1, t0)).toMatchObject({ allowed: true, remaining: 0, resetMs: 60_000 });
    expect(limiter.takeNow('k', 1, t0 + 59_999)).toMatchObject({ allowed: false, resetMs: 1 });
    expect(limiter.takeNow('k', 1, t0 + 60_000)).toMatchObject({ allowed: true, remaining: 0, resetMs: 60_000 });
    expect(new KeyRateLimiter(fake<LeasedCount>({ takeNow: () => undefined })).takeNow('k', 1)).toBeUndefined(); // shared through PostgreSQL: take() decides
  });

  test('OpenAI duration format', () => {
    expect(openAIDuration(20)).toBe('20ms');
    expect(openAIDuration(1000)).toBe('1s');
    expect(openAIDuration(1500)).toBe('1.5s');
    expect(openAIDuration(360_000)).toBe('6m0s');
  });
});

describe('auth middleware', () => {
  const tenants = new TenantHasher(Buffer.alloc(32, 3));
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  async function serve(auth: Authenticator): Promise<(route: string, token?: string) => Promise<{ status: number; headers: Headers; body: any }>> {
    const app = new Koa();
    app.use(openAIErrors);
    app.use(onV1(gatewayAuth(auth, new KeyRateLimiter())));
    app.use((ctx) => (ctx.body = { tenant: ctx.state.caller?.tenant.id ?? null, providerKey: ctx.state.caller?.providerKey ?? null }));
    server = await new Promise<Server>((r) => {
      const s = app.listen(0, '127.0.0.1', () => r(s));
    });
    const port = (server.address() as { port: number }).port;
    return async (route, token) => {
      const res = await fetch(`http://127.0.0.1:${port}${route}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      return { status: res.status, headers: res.headers, body: await res.json() };
    };
  }

  test('keys mode: unknown or missing key 401 invalid_api_key; a valid key is its namespace tenant; expired 401; limit 429', async () => {
    const store = new FileKeyStore(dir);
    const get = await serve(new Authenticator('keys', store, tenants, 'sk-upstream'));
    const { secret } = await store.create({ name: 'a', namespace: 'team', rate_limit: { requests_per_minute: 1 } });
    for (const token of [undefined, 'sk-anything', 'rfx-forged']) {
      const res = await get('/v1/models', token);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: { message: expect.any(String), type: 'authentication_error', param: null, code: 'invalid_api_key' } });
    }
    const ok = await get('/v1/models', secret);
    expect(ok.body).toEqual({ tenant: tenants.forNamespace('team').id, providerKey: 'sk-upstream' });
    expect(ok.headers.get('x-ratelimit-limit-requests')).toBe('1');
    expect(ok.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    const limited = await get('/v1/models', secret);
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('x-ratelimit-remaining-requests')).toBe('0');

    const expired = await store.create({ name: 'b', expires_in: 1 });
    expect((await get('/v1/models', expired.secret)).status).toBe(200);
    const auth = new Authenticator('keys', store, tenants, 'sk-upstream');
    expect(() => auth.identify(`Bearer ${expired.secret}`, Date.now() + 2_000)).toThrow('expired');
    expect((await get('/healthz')).status).toBe(200); // only /v1 is guarded
    expect((await get('/V1/models', 'sk-anything')).status).toBe(401); // in any letter case
  });

  test('forward mode: the token is the tenant (keyed) and is forwarded; none: one anonymous tenant', async () => {
    const forward = new Authenticator('forward', new FileKeyStore(dir), tenants, undefined);
    expect(forward.identify('Bearer sk-a')).toEqual({ tenant: tenants.forToken('sk-a'), providerKey: 'sk-a', forwarded: true });
    expect(forward.identify(undefined)).toEqual({ tenant: tenants.anonymous(), providerKey: undefined, forwarded: false });
    const none = new Authenticator('none', new FileKeyStore(dir), tenants, 'sk-up');
    expect(none.identify('Bearer sk-a').tenant).toEqual(none.identify('Bearer sk-b').tenant);
    expect(none.identify('Bearer sk-a').providerKey).toBe('sk-up');
    expect(authNotice('none', undefined).level).toBe('warn');
  });
});

describe('REFLEX_AUTH default', () => {
  test('keys when the gateway holds the provider key, forward otherwise (also with the mock)', () => {
    expect(loadConfig({ REFLEX_UPSTREAM_API_KEY: 'sk-x' }).auth.mode).toBe('keys');
    expect(loadConfig({}).auth.mode).toBe('forward');
    expect(loadConfig({ REFLEX_MOCK_PROVIDER: '1' }).auth.mode).toBe('forward');
    expect(loadConfig({ REFLEX_AUTH: 'none' }).auth.mode).toBe('none');
    expect(loadConfig({ REFLEX_AUTH: 'keys', REFLEX_MOCK_PROVIDER: '1' }).auth.mode).toBe('keys');
    expect(() => loadConfig({ REFLEX_AUTH: 'keys' })).toThrow(/REFLEX_AUTH/);
    expect(() => loadConfig({ REFLEX_AUTH: 'open' })).toThrow(/REFLEX_AUTH/);
  });
});
