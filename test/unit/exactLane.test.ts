/**
 * The exact-hit lane answers what the Koa app would answer, byte for byte,
 * and leaves everything else to it. Two servers over the same services: one
 * with the lane (createHandler), one without (REFLEX_EXACT_LANE=0). The route's
 * lookup is counted, so a test can tell which of the two answered: the lane
 * reads L1 memory itself and never calls it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import net, { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createHandler } from '../../src/api/app';
import { createServer } from '../../src/api/server';
import { Authenticator } from '../../src/auth/authenticate';
import { FileKeyStore } from '../../src/auth/fileKeyStore';
import { KeyRateLimiter } from '../../src/auth/rateLimit';
import { cacheIdentity, CacheIdentity } from '../../src/cache/keys/cacheKey';
import { Tenant, TenantHasher } from '../../src/cache/keys/tenant';
import { ExactCache } from '../../src/cache/l1/exactCache';
import type { Entry } from '../../src/cache/storage/entry';
import { FileEntryStore } from '../../src/cache/storage/fileEntryStore';
import { Admission } from '../../src/miss/admission';
import { loadConfig } from '../../src/config';
import { Metrics } from '../../src/metrics';
import type { CacheLookup } from '../../src/cache/lookup';
import { UsageLedger } from '../../src/ops/dashboard/usage';
import { apiServices, fake } from '../support/fake';
import { completion } from '../api/fakeApp';

const completionOf = (content: string) => completion(content, { prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 });
const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'What is 2FA? ünïcödé' }], temperature: 0 });
const identity = cacheIdentity(JSON.parse(body));

const logLines: Record<string, any>[] = [];
const metrics = new Metrics();
const store = new FileEntryStore(mkdtempSync(path.join(os.tmpdir(), 'reflex-lane-entries-')));
const exact = new ExactCache(store, 100);
const keys = new FileKeyStore(mkdtempSync(path.join(os.tmpdir(), 'reflex-lane-keys-')));
const auth = new Authenticator('keys', keys, new TenantHasher(randomBytes(32)), 'sk-upstream');
let routeLookups = 0;
const secrets: Record<'plain' | 'other' | 'limited' | 'modelBound' | 'tight', string> = { plain: '', other: '', limited: '', modelBound: '', tight: '' };
const servers: Server[] = [];
let lane: string;
let koa: string;

const entryFor = (tenant: Tenant, key: CacheIdentity, content: string): Entry => ({
  version: 1,
  tenant: tenant.id,
  key: key.key,
  context: key.context,
  model: 'm',
  createdAt: Date.now() - 3_000,
  semanticText: key.semanticText,
  embedding: [],
  response: completionOf(content),
});
const tenantOf = (secret: string) => auth.identify(`Bearer ${secret}`).tenant;

beforeAll(async () => {
  secrets.plain = (await keys.create({ name: 'plain' })).secret;
  secrets.other = (await keys.create({ name: 'other' })).secret;
  secrets.limited = (await keys.create({ name: 'limited', rate_limit: { requests_per_minute: 1000 } })).secret;
  secrets.modelBound = (await keys.create({ name: 'bound', models: ['another-model'] })).secret;
  secrets.tight = (await keys.create({ name: 'tight', rate_limit: { requests_per_minute: 3 } })).secret;
  for (const name of ['plain', 'limited', 'modelBound', 'tight'] as const) exact.remember(entryFor(tenantOf(secrets[name]), identity, `answer for ${name}`));
  // The other caller's answer is on disk only: the lane cannot see it, the route's lookup can.
  await store.write(entryFor(tenantOf(secrets.other), identity, 'answer for other'));

  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
      done();
    },
  });
  const log = pino({ level: 'info' }, sink);
  const services = (exactLane: '0' | '1') => {
    const config = loadConfig({ REFLEX_MOCK_PROVIDER: '1', REFLEX_UPSTREAM_API_KEY: 'sk-upstream', REFLEX_AUTH: 'keys', REFLEX_EXACT_LANE: exactLane });
    return apiServices({
      config,
      log,
      metrics,
      admission: Admission.of(config.admission, metrics),
      auth,
      limiter: new KeyRateLimiter(),
      exact,
      usage: new UsageLedger(),
      lookup: fake<CacheLookup>({
        lookup: async (tenant, id) => {
          routeLookups++;
          const entry = exact.getInMemory(tenant.id, id.key) ?? (await exact.get(tenant.id, id.key));
          return entry ? { status: 'HIT_L1_EXACT', entry } : { status: 'MISS' };
        },
      }, 'lookup'),
    });
  };
  const listen = async (exactLane: '0' | '1') => {
    const server = createServer(createHandler(services(exactLane)), log);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions`;
  };
  [lane, koa] = [await listen('1'), await listen('0')];
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

const post = (url: string, data: string, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', body: data, headers: { 'content-type': 'application/json', authorization: `Bearer ${secrets.plain}`, ...headers } });

/** The answer and how many times the route's lookup ran for it. */
async function ask(url: string, data: string, headers: Record<string, string> = {}) {
  const before = routeLookups;
  const res = await post(url, data, headers);
  const text = await res.text();
  return { res, text, lookups: routeLookups - before };
}

const comparable = (res: Response) => {
  const headers = Object.fromEntries(res.headers);
  for (const name of ['date', 'connection', 'keep-alive']) delete headers[name];
  return headers;
};

test('a repeat is answered from L1 memory without the app, with the bytes and headers the app gives', async () => {
  const first = await ask(lane, body, { 'x-request-id': 'first' });
  expect(first.lookups).toBe(1); // a body the route has not validated yet: the app answers
  const repeat = await ask(lane, body, { 'x-request-id': 'same-id' });
  const reference = await ask(koa, body, { 'x-request-id': 'same-id' });
  expect(repeat.lookups).toBe(0);
  expect(reference.lookups).toBe(1);
  expect(repeat.res.status).toBe(200);
  expect(repeat.text).toBe(JSON.stringify(completionOf('answer for plain')));
  expect(repeat.text).toBe(reference.text);
  expect(comparable(repeat.res)).toEqual(comparable(reference.res));
  expect(repeat.res.headers.get('x-reflex-status')).toBe('HIT_L1_EXACT');
  expect(Number(repeat.res.headers.get('age'))).toBeGreaterThanOrEqual(3);
});

test('one access line, one request count, latency and saved tokens per lane answer', async () => {
  await ask(lane, body);
  const count = async () => (await metrics.requests.get()).values.find((v) => v.labels.tier === 'HIT_L1_EXACT' && v.labels.status === '200')?.value ?? 0;
  const saved = async () => (await metrics.tokensSaved.get()).values.find((v) => v.labels.type === 'completion')?.value ?? 0;
  const latency = async () => (await metrics.latency.get()).values.find((v) => v.labels.tier === 'HIT_L1_EXACT' && v.metricName === 'reflex_request_duration_seconds_count')?.value ?? 0;
  const [c0, s0, l0, lines0] = [await count(), await saved(), await latency(), logLines.length];
  for (let i = 0; i < 3; i++) expect((await ask(lane, body, { 'x-request-id': `lane-${i}` })).lookups).toBe(0);
  const added = logLines.slice(lines0);
  expect(added.map((l) => [l.msg, l.requestId, l.status, l.tier, l.route])).toEqual(
    [0, 1, 2].map((i) => ['cached request', `lane-${i}`, 200, 'HIT_L1_EXACT', '/v1/chat/completions']),
  );
  expect(JSON.stringify(added)).not.toContain(secrets.plain);
  expect(await count()).toBe(c0 + 3);
  expect(await saved()).toBe(s0 + 15);
  expect(await latency()).toBe(l0 + 3);
});

test('a caller whose answer is not in memory gets its own answer from the app, never another tenant’s', async () => {
  await ask(lane, body); // the body is known to the route
  const other = await ask(lane, body, { authorization: `Bearer ${secrets.other}` });
  expect(other.lookups).toBe(1);
  expect(JSON.parse(other.text).choices[0].message.content).toBe('answer for other');
  const again = await ask(lane, body, { authorization: `Bearer ${secrets.other}` }); // promoted to memory by the lookup
  expect(again.lookups).toBe(0);
  expect(JSON.parse(again.text).choices[0].message.content).toBe('answer for other');
});

test.each([
  ['a cache control', { 'cache-control': 'no-store' }],
  ['an X-Reflex-* header', { 'x-reflex-cache': 'only-if-cached' }],
  ['another content type', { 'content-type': 'application/json; charset=UTF-8' }],
])('a request with %s goes to the app', async (_what, headers) => {
  await ask(lane, body);
  const asked = await ask(lane, body, headers);
  expect(asked.lookups).toBe(1);
  expect(asked.res.status).toBe(200);
});

test('streams, other bodies and query strings go to the app', async () => {
  await ask(lane, body);
  const streamBody = JSON.stringify({ ...JSON.parse(body), stream: true });
  await ask(lane, streamBody);
  const stream = await ask(lane, streamBody);
  expect(stream.lookups).toBe(1);
  expect(stream.res.headers.get('content-type')).toContain('text/event-stream');
  expect((await ask(lane, `${body} `)).lookups).toBe(1); // one byte more is another body
  expect((await ask(`${lane}?x=1`, body)).lookups).toBe(1);
});

test('a rate-limited key is answered by the lane, with the headers and the count the app gives', async () => {
  await ask(lane, body);
  const viaLane = await ask(lane, body, { authorization: `Bearer ${secrets.limited}`, 'x-request-id': 'limited' });
  const viaKoa = await ask(koa, body, { authorization: `Bearer ${secrets.limited}`, 'x-request-id': 'limited' });
  expect(viaLane.lookups).toBe(0);
  expect(viaLane.res.status).toBe(200);
  expect(viaLane.text).toBe(viaKoa.text);
  const timing = (h: Record<string, string>) => ({ ...h, 'x-ratelimit-reset-requests': 'timing' });
  expect(timing(comparable(viaLane.res))).toEqual(timing(comparable(viaKoa.res)));
  expect(viaLane.res.headers.get('x-ratelimit-limit-requests')).toBe('1000');
});

test('at its limit a key gets the same 429s from the lane as from the app, one point per request', async () => {
  await ask(lane, body);
  const run = async (url: string) => {
    const out = [];
    for (let i = 0; i < 5; i++) {
      const r = await ask(url, body, { authorization: `Bearer ${secrets.tight}`, 'x-request-id': `tight-${i}` });
      out.push({ status: r.res.status, remaining: r.res.headers.get('x-ratelimit-remaining-requests'), retry: r.res.headers.get('retry-after'), text: r.text, lookups: r.lookups });
    }
    return out;
  };
  const [viaLane, viaKoa] = [await run(lane), await run(koa)];
  expect(viaLane.map((r) => [r.status, r.remaining])).toEqual([[200, '2'], [200, '1'], [200, '0'], [429, '0'], [429, '0']]);
  expect(viaLane.map((r) => ({ ...r, lookups: 0 }))).toEqual(viaKoa.map((r) => ({ ...r, lookups: 0 })));
  expect(viaLane.map((r) => r.lookups)).toEqual([0, 0, 0, 0, 0]); // the lane answered the 200s; the app's 429 never looks up
  expect(JSON.parse(viaLane[3]!.text).error.code).toBe('rate_limit_exceeded');
});

test('keys the lane cannot fully check are left to the app: model lists, unknown keys', async () => {
  for (let i = 0; i < 2; i++) {
    const bound = await ask(lane, body, { authorization: `Bearer ${secrets.modelBound}` });
    expect(bound.res.status).toBe(403);
    expect(JSON.parse(bound.text).error.code).toBe('model_not_allowed');
    const unknown = await ask(lane, body, { authorization: 'Bearer rfx-not-a-key' });
    expect(unknown.res.status).toBe(401);
  }
});

test('a body the lane read is parsed by the app as co-body would: a BOM is dropped, bad JSON is a 400', async () => {
  await ask(lane, body);
  const bom = await ask(lane, `\ufeff${body}`);
  expect(bom.res.status).toBe(200);
  expect(bom.lookups).toBe(0); // the same text once the BOM is gone
  for (const bad of ['{"model": ', '"a string"', '{"__proto__": {"x": 1}, "model": "m"}']) {
    const [viaLane, viaKoa] = [await ask(lane, bad), await ask(koa, bad)];
    expect(viaLane.res.status).toBe(400);
    expect(viaLane.text).toBe(viaKoa.text);
  }
});

/** Sends a head and part of the body it announces, then drops the connection; the log lines it caused. */
async function abortBody(url: string): Promise<{ msg: string; status?: number }[]> {
  const lines0 = logLines.length;
  await new Promise<void>((resolve) => {
    const socket = net.connect(Number(new URL(url).port), '127.0.0.1', () => {
      socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer ${secrets.plain}\r\nContent-Length: 100\r\n\r\n{"model"`);
      setTimeout(() => socket.destroy(), 50);
    });
    socket.on('close', () => resolve());
  });
  await new Promise((r) => setTimeout(r, 100));
  return logLines.slice(lines0).map((l) => ({ msg: l.msg, status: l.status }));
}

test('a client that drops its body mid-way is handled as the app handles it, and the server keeps serving', async () => {
  const [viaLane, viaKoa] = [await abortBody(lane), await abortBody(koa)];
  expect(viaLane.length).toBeGreaterThan(0);
  expect(viaLane).toEqual(viaKoa);
  expect((await ask(lane, body)).res.status).toBe(200);
});

test('with REFLEX_EXACT_LANE=0 every request goes through the app', async () => {
  for (let i = 0; i < 3; i++) expect((await ask(koa, body)).lookups).toBe(1);
});
