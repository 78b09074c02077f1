/**
 * The L1 hit path's per-request shortcuts keep the behaviour they replace:
 * the real Koa app over a stub lookup that answers from a fixed entry.
 * Bodies are the bytes JSON.stringify gives, every header is there, one access
 * line and one metric sample per request, repeated bodies get the identity a
 * fresh computation gives, invalid bodies keep failing.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createApp } from '../../src/api/app';
import { Admission } from '../../src/miss/admission';
import { createServer } from '../../src/api/server';
import { parseChatRequest } from '../../src/api/chatRequest';
import { KnownRequests } from '../../src/api/knownRequests';
import { RecentEmbeddings } from '../../src/cache/embedding/recentEmbeddings';
import { cacheIdentity, CacheIdentity } from '../../src/cache/keys/cacheKey';
import { TenantHasher } from '../../src/cache/keys/tenant';
import { loadConfig } from '../../src/config';
import { Metrics } from '../../src/metrics';
import type { CacheLookup } from '../../src/cache/lookup';
import type { Entry } from '../../src/cache/storage/entry';
import { UsageLedger } from '../../src/ops/dashboard/usage';
import { forwardAuth } from '../support/auth';
import { apiServices, fake } from '../support/fake';

const completion = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content: '{"a": [1, 2]}' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 },
};
const entry: Entry = { version: 1, tenant: 't', key: 'k', context: 'c', model: 'm', createdAt: Date.now() - 3_000, semanticText: 'q', embedding: [], response: completion };

const logLines: Record<string, any>[] = [];
const seen: { tenant: string; identity: CacheIdentity }[] = [];
const metrics = new Metrics();
const access = forwardAuth();
const tenantOf = (token: string) => access.auth.identify(`Bearer ${token}`).tenant.id;
let server: Server;
let url: string;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
      done();
    },
  });
  const log = pino({ level: 'info' }, sink);
  const config = loadConfig({ REFLEX_MOCK_PROVIDER: '1' });
  const services = apiServices({
    config,
    log,
    metrics,
    admission: Admission.of(config.admission, metrics),
    usage: new UsageLedger(),
    ...access,
    lookup: fake<CacheLookup>({
      lookup: async (tenant, identity) => {
        seen.push({ tenant: tenant.id, identity });
        return { status: 'HIT_L1_EXACT', entry };
      },
    }, 'lookup'),
  });
  server = createServer(createApp(services), log);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'What is 2FA?' }], temperature: 0.2 });
const post = (data: string, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', body: data, headers: { 'content-type': 'application/json', authorization: 'Bearer sk-a', ...headers } });

test('repeated hits carry the same bytes JSON.stringify gives, and every hit header', async () => {
  for (let i = 0; i < 3; i++) {
    const res = await post(body, { 'x-request-id': `req-${i}` });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.text()).toBe(JSON.stringify(completion));
    expect(res.headers.get('x-reflex-status')).toBe('HIT_L1_EXACT');
    expect(res.headers.get('x-reflex-format')).toBe('openai');
    expect(Number(res.headers.get('age'))).toBeGreaterThanOrEqual(3);
    expect(res.headers.get('x-request-id')).toBe(`req-${i}`);
  }
});

test('the tauq format is still applied per request', async () => {
  const res = await post(body, { 'x-reflex-format': 'tauq' });
  expect(res.headers.get('x-reflex-format')).toBe('tauq');
  const parsed = (await res.json()) as typeof completion;
  expect(parsed.choices[0]!.message.content).not.toBe(completion.choices[0]!.message.content);
});

test('one access line and one metric sample per request, with saved tokens', async () => {
  const lines = () => logLines.filter((l) => l.msg === 'cached request');
  const before = lines().length;
  const count = async () => (await metrics.requests.get()).values.find((v) => v.labels.tier === 'HIT_L1_EXACT' && v.labels.status === '200')?.value ?? 0;
  const saved = async () => (await metrics.tokensSaved.get()).values.find((v) => v.labels.type === 'completion')?.value ?? 0;
  const [c0, s0] = [await count(), await saved()];
  for (let i = 0; i < 4; i++) await (await post(body, { 'x-request-id': `line-${i}` })).text();
  const added = lines().slice(before);
  expect(added.map((l) => l.requestId)).toEqual(['line-0', 'line-1', 'line-2', 'line-3']);
  expect(added.every((l) => l.status === 200 && l.route === '/v1/chat/completions' && l.tier === 'HIT_L1_EXACT' && typeof l.ms === 'number' && l.level === 30)).toBe(true);
  expect(await count()).toBe(c0 + 4);
  expect(await saved()).toBe(s0 + 4 * 5);
  const histogram = (await metrics.latency.get()).values.find((v) => v.labels.tier === 'HIT_L1_EXACT' && v.metricName === 'reflex_request_duration_seconds_count');
  expect(histogram?.value).toBeGreaterThanOrEqual(4);
});

test('a repeated body is keyed exactly as a fresh computation keys it; tenants follow the token', async () => {
  seen.length = 0;
  await (await post(body)).text();
  await (await post(body)).text();
  await (await post(body, { authorization: 'Bearer sk-b' })).text();
  const fresh = cacheIdentity(JSON.parse(body));
  expect(seen.map((s) => s.identity)).toEqual([fresh, fresh, fresh]);
  expect(seen.map((s) => s.tenant)).toEqual([tenantOf('sk-a'), tenantOf('sk-a'), tenantOf('sk-b')]);
  expect(tenantOf('sk-a')).not.toBe(tenantOf('sk-b'));
});

test('an invalid body fails every time it is sent', async () => {
  const bad = JSON.stringify({ model: 'm', messages: [] });
  for (let i = 0; i < 2; i++) {
    const res = await post(bad);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe('messages');
  }
});

describe('KnownRequests', () => {
  test('a repeat returns its own freshly parsed body and the remembered identity', () => {
    const known = new KnownRequests(parseChatRequest, (r) => cacheIdentity(r, 'ignore'));
    const first = known.parse(body, JSON.parse(body));
    const again = JSON.parse(body);
    const second = known.parse(body, again);
    expect(second.request).toBe(again);
    expect(second.identity).toBe(first.identity);
    expect(second.identity).toEqual(cacheIdentity(again));
  });

  test('the identity function given is the one applied', () => {
    const hot = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }], temperature: 1 });
    const known = (sampling: 'include' | 'ignore') => new KnownRequests(parseChatRequest, (r) => cacheIdentity(r, sampling));
    expect(known('include').parse(hot, JSON.parse(hot)).identity.key).toBe(cacheIdentity(JSON.parse(hot), 'include').key);
    expect(known('ignore').parse(hot, JSON.parse(hot)).identity.key).toBe(cacheIdentity(JSON.parse(hot), 'ignore').key);
  });
});

describe('RecentEmbeddings', () => {
  test('a text asked again is not embedded again; other texts are', async () => {
    const calls: string[] = [];
    const model = { dim: 2, id: 'm', window: 512, tokens: async () => 3, embed: async (text: string) => (calls.push(text), Float32Array.from([text.length, 1])) };
    const recent = new RecentEmbeddings(model, 2);
    const a = await recent.embed('alpha');
    expect(await recent.embed('alpha')).toBe(a);
    await recent.embed('beta');
    await recent.embed('gamma'); // evicts alpha (capacity 2)
    await recent.embed('alpha');
    expect(calls).toEqual(['alpha', 'beta', 'gamma', 'alpha']);
    expect(recent.dim).toBe(2);
  });
});

test('TenantHasher gives a caller the same tenant every time and keeps callers apart', () => {
  const hasher = new TenantHasher(Buffer.alloc(32, 7));
  const fresh = new TenantHasher(Buffer.alloc(32, 7));
  expect(hasher.forToken('sk-a')).toEqual(hasher.forToken('sk-a'));
  expect(hasher.forToken('sk-a')).toEqual(fresh.forToken('sk-a'));
  expect(hasher.forNamespace('sk-a').id).not.toBe(hasher.forToken('sk-a').id);
  expect(new TenantHasher(Buffer.alloc(32, 8)).forToken('sk-a').id).not.toBe(hasher.forToken('sk-a').id);
});
