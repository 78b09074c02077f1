/**
 * State that replicas on separate hosts share through PostgreSQL (a real one:
 * test/support/postgres.ts), beyond what every storage adapter does
 * (storageConformance.e2e.test.ts): migrations apply once when replicas start
 * together; listings page; outbox drainers on two workers claim disjoint
 * records; a key created or revoked on one replica is seen on another within
 * the stated bound, by NOTIFY or, when a notification is lost, by the poll; a
 * replica that cannot refresh stops trusting its keys; a key's rate limit
 * holds across replicas, and a shared one is leased in batches; entries are
 * stored compressed; one worker leads the shared chores; migrate-store
 * copies both ways.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FileKeyStore } from '../../src/auth/fileKeyStore';
import { FileEntryStore } from '../../src/cache/storage/fileEntryStore';
import { OutboxRecord } from '../../src/miss/outbox/outbox';
import { FileOutbox } from '../../src/miss/outbox/fileOutbox';
import { PgEntryStore } from '../../src/cache/storage/pgEntryStore';
import { PgOutbox } from '../../src/miss/outbox/pgOutbox';
import { PgVectors } from '../../src/cache/vectors/pgVectors';
import { FileVectors } from '../../src/cache/vectors/fileVectors';
import { migrateStore, StateStores } from '../../src/ops/migrateStore';
import { FileVerdictStore } from '../../src/cache/l3/budget/fileVerdictStore';
import { PgVerdictStore } from '../../src/cache/l3/budget/pgVerdictStore';
import type { Verdict, VerdictStore } from '../../src/cache/l3/budget/verdicts';
import { KeyRateLimiter } from '../../src/auth/rateLimit';
import { batchFor, LeasedCount } from '../../src/auth/leasedCount';
import { SHARED_WINDOW_MS, SharedAllowance } from '../../src/temporal/auditAllowance';
import { Database, PAGE } from '../../src/postgres/database';
import { CHORES_LOCK, Leadership } from '../../src/postgres/leadership';
import { ChildProcess, spawn } from 'node:child_process';
import { MIGRATIONS } from '../../src/postgres/migrations';
import { eventually } from '../support/eventually';
import { usePostgres } from '../support/postgres';
import { collect, entry, hex, tmp } from '../support/storeFixtures';

const { connect, replica, server } = usePostgres();

beforeAll(async () => {
  const [a, b] = [connect(), connect()];
  // Two replicas starting at once: the advisory lock lets one apply the schema, the other finds it applied.
  const applied = await Promise.all([a.migrate(), b.migrate()]);
  expect(applied.map((v) => v.length).sort()).toEqual([0, MIGRATIONS.length]);
  expect(await a.migrate()).toEqual([]);
}, 60_000);

test('entries are stored as compressed JSON, and rows written before (JSONB) still read as they were', async () => {
  const db = connect();
  const store = new PgEntryStore(db);
  const e = entry(hex(77), hex(1, 64), 'a question stored compressed');
  await store.write(e);
  const { rows } = await db.pool.query("SELECT entry, length(body) AS body FROM entries WHERE tenant = $1", [e.tenant]);
  expect(rows[0]).toMatchObject({ entry: null });
  expect(rows[0].body).toBeLessThan(JSON.stringify(e).length);
  expect(await store.read(e.tenant, e.key)).toEqual(e);
  // A row from before migration 4: the entry as JSONB, no body.
  const { embedding, ...rest } = { ...e, key: hex(2, 64), semanticText: 'an older row' };
  await db.pool.query('INSERT INTO entries (tenant, key, entry, embedding, bytes) VALUES ($1, $2, $3, $4, 1)', [rest.tenant, rest.key, JSON.stringify(rest), Buffer.from(Float32Array.from(embedding).buffer)]);
  expect(await store.read(rest.tenant, rest.key)).toEqual({ ...rest, embedding });
  await store.write({ ...rest, embedding, semanticText: 'rewritten' }); // a rewrite moves it to the new form
  expect((await db.pool.query('SELECT entry FROM entries WHERE tenant = $1 AND key = $2', [rest.tenant, rest.key])).rows[0].entry).toBeNull();
  expect((await store.read(rest.tenant, rest.key))?.semanticText).toBe('rewritten');
});

test('listings walk keyset pages past PAGE rows, each row once, in order', async () => {
  const entries = new PgEntryStore(connect());
  const T = hex(66);
  const keys = Array.from({ length: PAGE + 5 }, (_, n) => hex(n, 64));
  for (let i = 0; i < keys.length; i += 100) await Promise.all(keys.slice(i, i + 100).map((k) => entries.write(entry(T, k, 'paged'))));
  expect((await collect(entries.list(T))).map((f) => f.key)).toEqual(keys);
});

test('outbox drainers on two workers claim disjoint records, and a claim lapses', async () => {
  const [one, two] = [new PgOutbox(connect()), new PgOutbox(connect())];
  const T = hex(55);
  for (let n = 0; n < 4; n++) {
    await one.write({ version: 1, tenant: T, key: hex(n, 64), context: 'c', model: 'm', semanticText: 'q', request: {}, answer: entry(T, hex(n, 64), 'a').response, answeredAt: n });
  }
  expect((await collect(two.list())).filter((r) => r.tenant === T)).toHaveLength(4); // listing claims nothing
  const mine = (await collect(one.claim())).filter((r) => r.tenant === T);
  const theirs = (await collect(two.claim())).filter((r) => r.tenant === T);
  expect(mine.map((r) => r.key)).toEqual([0, 1, 2, 3].map((n) => hex(n, 64))); // oldest first
  expect(theirs).toEqual([]); // all claimed by the first drainer
  await connect().pool.query("UPDATE outbox SET claimed_until = now() - interval '1 second' WHERE tenant = $1", [T]); // the claim lapses
  expect((await collect(two.claim())).filter((r) => r.tenant === T)).toHaveLength(4);
});

test('a key created on replica A works on replica B, and revoked on A stops on B within milliseconds (NOTIFY)', async () => {
  const [a, b] = [await replica(), await replica()];
  const { key, secret } = await a.create({ name: 'shared' });
  await eventually(() => b.find(secret)?.id === key.id, { ms: 1000, everyMs: 5, what: 'the key seen on B' });
  await a.remove(key.id);
  const revokedAt = Date.now();
  await eventually(() => b.find(secret) === undefined, { ms: 1000, everyMs: 5, what: 'the revocation seen on B' });
  expect(Date.now() - revokedAt).toBeLessThan(1000);
});

test('with its notifications lost, a replica still sees a revocation within REFLEX_KEYS_REFRESH_MS (the poll)', async () => {
  const deaf = connect();
  deaf.listen = async () => undefined; // as if the listener connection never delivered anything
  const [a, b] = [await replica(), await replica(200, deaf)];
  const { key, secret } = await a.create({ name: 'polled' });
  await eventually(() => b.find(secret)?.id === key.id, { ms: 1000, everyMs: 10, what: 'the key seen on B' });
  await a.remove(key.id);
  const revokedAt = Date.now();
  await eventually(() => b.find(secret) === undefined, { ms: 2000, everyMs: 10, what: 'the revocation seen on B by polling' });
  expect(Date.now() - revokedAt).toBeLessThan(200 * 3);
});

test('a replica that cannot refresh its keys answers 503 instead of trusting them', async () => {
  const lost = connect();
  const b = await replica(50, lost);
  const { secret } = await b.create({ name: 'stale' });
  expect(b.find(secret)).toBeDefined();
  await lost.pool.end(); // the database is gone for this replica
  const refusal = () => {
    try {
      b.find(secret);
      return undefined;
    } catch (err) {
      return (err as { status?: number }).status;
    }
  };
  await eventually(refusal, { until: (status) => status === 503, ms: 3000, everyMs: 20, what: 'B refusing its keys with 503' });
});

test("a key's rate limit holds across replicas with PostgreSQL, and per replica without it", async () => {
  const shared = [new KeyRateLimiter(new LeasedCount(connect().pool)), new KeyRateLimiter(new LeasedCount(connect().pool))];
  const local = [new KeyRateLimiter(), new KeyRateLimiter()];
  const allowed = async (limiters: KeyRateLimiter[], id: string) => {
    let n = 0;
    for (let i = 0; i < 10; i++) if ((await limiters[i % 2]!.take(id, 5)).allowed) n++;
    return n;
  };
  expect(await allowed(shared, 'key_shared')).toBe(5);
  expect(await allowed(local, 'key_local')).toBe(10);
});

describe('one leader for the shared chores (src/postgres/leadership.ts)', () => {
  /** Leaderships a test started, stopped after it so the next one starts with the lock free. */
  const stops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.allSettled(stops.splice(0).map((stop) => stop()));
  });
  /** A worker process holding the chores lock, as `reflex worker` would (built code: npm test builds first). */
  function holder(): ChildProcess {
    const script = `const { Leadership } = require(${JSON.stringify(path.resolve(__dirname, '../../dist/postgres/leadership.js'))});
      const l = new Leadership(process.argv[1]); l.start(200).then(() => console.log(l.isLeader ? 'leading' : 'waiting'));`;
    return spawn(process.execPath, ['-e', script, server().url], { stdio: ['ignore', 'pipe', 'inherit'] });
  }
  const said = (child: ChildProcess) => new Promise<string>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim())));

  test('one worker leads at a time; when its process dies, another takes over within a check', async () => {
    const first = holder();
    expect(await said(first)).toBe('leading');
    const [a, b] = [new Leadership(server().url), new Leadership(server().url)];
    stops.push(() => a.stop(), () => b.stop());
    await Promise.all([a.start(200), b.start(200)]);
    expect([a.isLeader, b.isLeader]).toEqual([false, false]);
    first.kill('SIGKILL'); // no unlock: PostgreSQL ends its session, and the lock with it
    expect(await eventually(async () => a.isLeader || b.isLeader, { ms: 5000, everyMs: 50 })).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    expect([a.isLeader, b.isLeader].filter(Boolean)).toHaveLength(1);
    await Promise.all([a.stop(), b.stop()]); // the next test starts with the lock free
  });

  test('a leader whose session is cut stops leading at its next check; one of the workers leads again, on a new session', async () => {
    const [a, b] = [new Leadership(server().url), new Leadership(server().url)];
    stops.push(() => a.stop(), () => b.stop());
    await a.start(200);
    await b.start(200);
    expect([a.isLeader, b.isLeader]).toEqual([true, false]);
    const pool = connect().pool;
    const holderPid = async () => (await pool.query<{ pid: number }>("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND granted", [CHORES_LOCK & 0xffffffff])).rows[0]?.pid;
    const before = await holderPid();
    // The server ends a's session (a failover, a network cut): the lock goes with it, and a must notice.
    await pool.query('SELECT pg_terminate_backend($1)', [before]);
    expect(await eventually(async () => { const now = await holderPid(); return now !== undefined && now !== before; }, { ms: 5000, everyMs: 50 })).toBe(true);
    expect(await eventually(async () => [a.isLeader, b.isLeader].filter(Boolean).length === 1, { ms: 2000, everyMs: 50 })).toBe(true);
  });
});

describe('shared limits leased in batches (src/auth/leasedCount.ts)', () => {
  /** Requests alternated over replicas, each decided as the exact-hit lane does: in this tick when the lease has points, else after a lease. */
  async function serve(limiters: KeyRateLimiter[], id: string, limit: number, requests: number): Promise<{ allowed: number; decidedNow: number }> {
    let [allowed, decidedNow] = [0, 0];
    for (let i = 0; i < requests; i++) {
      const limiter = limiters[i % limiters.length]!;
      const now = limiter.takeNow(id, limit);
      if (now) decidedNow++;
      if ((now ?? (await limiter.take(id, limit))).allowed) allowed++;
    }
    return { allowed, decidedNow };
  }

  test('two replicas never serve more than the limit, at most one batch each short of it, with one round trip per batch', async () => {
    const limit = 400; // batchFor(400) = 20
    const replicas = [new KeyRateLimiter(new LeasedCount(connect().pool)), new KeyRateLimiter(new LeasedCount(connect().pool))];
    const leasesBefore = await leaseCount();
    const { allowed, decidedNow } = await serve(replicas, 'key_leased', limit, 1000);
    expect(allowed).toBeLessThanOrEqual(limit);
    expect(allowed).toBeGreaterThanOrEqual(limit - 2 * batchFor(limit));
    // Most requests were decided from a lease in memory: no round trip.
    expect(decidedNow).toBeGreaterThan(allowed * 0.8);
    expect(await leaseCount()).toBeGreaterThan(leasesBefore);
  });

  test('a refused key gets its points back when the window ends, on every replica', async () => {
    const replicas = [new LeasedCount(connect().pool, 1500), new LeasedCount(connect().pool, 1500)];
    const take = async (i: number) => (replicas[i % 2]!.takeNow('key_window', 4) ?? (await replicas[i % 2]!.take('key_window', 4))).allowed;
    const first = await Promise.all([0, 1, 2, 3, 4, 5].map(take));
    expect(first.filter(Boolean)).toHaveLength(4);
    expect(await take(0)).toBe(false);
    expect(await eventually(() => take(1), { ms: 4000, everyMs: 100 })).toBe(true);
  });

  test('while PostgreSQL cannot answer, each replica counts alone (per-replica limits)', async () => {
    const broken = new KeyRateLimiter(new LeasedCount(new Database('postgres://reflex:wrong@127.0.0.1:1/none').pool));
    const decisions = await Promise.all(Array.from({ length: 6 }, () => broken.take('key_fallback', 4)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(4);
    expect(decisions.every((d) => d.limit === 4)).toBe(true);
  });

  test("audits' daily cap holds across replicas (REFLEX_AUDIT_DAILY_CAP), and per replica while PostgreSQL cannot answer", async () => {
    const replicas = [0, 1].map(() => new SharedAllowance(new LeasedCount(connect().pool, SHARED_WINDOW_MS), 5));
    const tenant = hex(31);
    const allowed = await Promise.all(Array.from({ length: 12 }, (_, i) => replicas[i % 2]!.take(tenant)));
    expect(allowed.filter(Boolean)).toHaveLength(5);
    expect(await replicas[0]!.take(hex(32))).toBe(true); // another tenant's own allowance
    const broken = new SharedAllowance(new LeasedCount(new Database('postgres://reflex:wrong@127.0.0.1:1/none').pool, SHARED_WINDOW_MS), 2);
    expect(await Promise.all([1, 2, 3].map(() => broken.take(tenant)))).toEqual([true, true, false]);
  });

  /** Leases are upserts on rate_limits: the sum of points handed out. */
  async function leaseCount(): Promise<number> {
    const { rows } = await connect().pool.query<{ n: string }>("SELECT coalesce(sum(points), 0) AS n FROM rate_limits WHERE key LIKE 'lease%'");
    return Number(rows[0]!.n);
  }
});

describe('reflex migrate-store (src/ops/migrateStore.ts)', () => {
  const filesAt = (root: string): StateStores => ({
    entries: new FileEntryStore(path.join(root, 'entries')), outbox: new FileOutbox(path.join(root, 'entries')),
    vectors: new FileVectors(path.join(root, 'embeddings')), keys: new FileKeyStore(path.join(root, 'keys')),
    verdicts: new FileVerdictStore(path.join(root, 'verdicts')),
  });
  const postgresOf = async (): Promise<StateStores> => {
    const db = connect();
    return { entries: new PgEntryStore(db), outbox: new PgOutbox(db), vectors: new PgVectors(db), keys: await replica(), verdicts: new PgVerdictStore(db) };
  };
  const T = hex(77);
  const verdict = (id: string, source: Verdict['source'], wrong: boolean): Verdict => ({ id, source, tenant: T, key: hex(1, 64), entryKey: hex(2, 64), model: 'm', similarity: 0.93, wrong, judge: 'embedding', judgeScore: 0.5, at: 7 });
  const idsOf = async (store: VerdictStore) => (await store.read(T)).verdicts.map((v) => v.id);

  test('files → postgres copies entries, outbox, embeddings, keys and verdicts; a rerun changes nothing; a checkpoint resumes; and back', async () => {
    const root = tmp('move');
    const files = filesAt(root);
    for (const n of [1, 2, 3]) await files.entries.write(entry(T, hex(n, 64), `moved ${n}`));
    const record: OutboxRecord = { version: 1, tenant: T, key: hex(9, 64), context: 'c', model: 'm', semanticText: 'q', request: { model: 'm' }, answer: entry(T, hex(9, 64), 'a').response, answeredAt: 1 };
    await files.outbox.write(record);
    const vector = { version: 1 as const, model: 'm', vector: 'AACAPw==', tokens: 2, tokensExact: true, createdAt: 5 };
    await files.vectors.write(T, hex(8, 64), vector);
    const { secret } = await files.keys.create({ name: 'moved', namespace: 'movers' });
    const judged = [verdict('audit-1', 'audit', true), verdict('free-1', 'free', false)];
    for (const v of judged) await files.verdicts.append(v);

    const pg = await postgresOf();
    const checkpoint = path.join(root, 'checkpoint.json');
    expect(await migrateStore(files, pg, checkpoint)).toEqual({ entries: 3, outbox: 1, embeddings: 1, keys: 1, verdicts: 2 });
    expect((await pg.verdicts.read(T)).verdicts).toEqual(judged); // in order: the error budget reads them on
    for (const n of [1, 2, 3]) expect(await pg.entries.read(T, hex(n, 64))).toEqual(entry(T, hex(n, 64), `moved ${n}`));
    expect(await pg.outbox.read(T, record.key)).toEqual(record);
    expect(await pg.vectors.read(T, hex(8, 64))).toEqual(vector);
    expect(pg.keys.find(secret)?.namespace).toBe('movers'); // the same secret works against the database
    expect(existsSync(checkpoint)).toBe(false);

    // Idempotent: the same again, nothing new.
    expect(await migrateStore(files, pg, checkpoint)).toMatchObject({ verdicts: 0 });
    expect((await collect(pg.entries.list(T))).map((f) => f.key)).toEqual([1, 2, 3].map((n) => hex(n, 64)));
    // Resumable: a run that stopped after the first entry copies only what came after it.
    writeFileSync(checkpoint, JSON.stringify({ phase: 'entries', after: `${T}/${hex(1, 64)}` }));
    expect(await migrateStore(files, pg, checkpoint)).toMatchObject({ entries: 2, resumedAt: { phase: 'entries' } });

    // And back into an empty directory.
    const back = filesAt(tmp('back'));
    await migrateStore(pg, back, path.join(root, 'back.json'));
    expect(await back.entries.read(T, hex(2, 64))).toEqual(entry(T, hex(2, 64), 'moved 2'));
    // Twice into files: the file store would append a repeated id as a line of its own; the copy skips it.
    await migrateStore(pg, back, path.join(root, 'back.json'));
    expect(await idsOf(back.verdicts)).toEqual(['audit-1', 'free-1']);
    expect(back.keys.find(secret)?.name).toBe('moved');
  });
});
