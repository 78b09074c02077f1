/**
 * State that replicas on separate hosts share through PostgreSQL (a real one:
 * test/support/postgres.ts), beyond what every storage adapter does
 * (storageConformance.e2e.test.ts): migrations apply once when replicas start
 * together; listings page; outbox drainers on two workers claim disjoint
 * records; a key created or revoked on one replica is seen on another within
 * the stated bound, by NOTIFY or, when a notification is lost, by the poll; a
 * replica that cannot refresh stops trusting its keys; a key's rate limit
 * holds across replicas; migrate-store copies both ways.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FileKeyStore } from '../../src/auth/fileKeyStore';
import { FileEntryStore } from '../../src/cache/storage/entryStore';
import { FileOutbox, OutboxRecord } from '../../src/cache/storage/outbox';
import { PgEntryStore } from '../../src/cache/storage/pgEntryStore';
import { PgOutbox } from '../../src/cache/storage/pgOutbox';
import { PgVectors } from '../../src/cache/vectors/pgVectors';
import { FileVectors } from '../../src/cache/vectors/vectorStore';
import { migrateStore, StateStores } from '../../src/ops/migrateStore';
import { KeyRateLimiter } from '../../src/auth/rateLimit';
import { PAGE } from '../../src/postgres/database';
import { MIGRATIONS } from '../../src/postgres/migrations';
import { eventually } from '../support/eventually';
import { usePostgres } from '../support/postgres';
import { collect, entry, hex, tmp } from '../support/storeFixtures';

const { connect, replica } = usePostgres();

beforeAll(async () => {
  const [a, b] = [connect(), connect()];
  // Two replicas starting at once: the advisory lock lets one apply the schema, the other finds it applied.
  const applied = await Promise.all([a.migrate(), b.migrate()]);
  expect(applied.map((v) => v.length).sort()).toEqual([0, MIGRATIONS.length]);
  expect(await a.migrate()).toEqual([]);
}, 60_000);

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
  const shared = [new KeyRateLimiter(connect().pool), new KeyRateLimiter(connect().pool)];
  const local = [new KeyRateLimiter(), new KeyRateLimiter()];
  const allowed = async (limiters: KeyRateLimiter[], id: string) => {
    let n = 0;
    for (let i = 0; i < 10; i++) if ((await limiters[i % 2]!.take(id, 5)).allowed) n++;
    return n;
  };
  expect(await allowed(shared, 'key_shared')).toBe(5);
  expect(await allowed(local, 'key_local')).toBe(10);
});

describe('reflex migrate-store (src/ops/migrateStore.ts)', () => {
  const filesAt = (root: string): StateStores => ({
    entries: new FileEntryStore(path.join(root, 'entries')), outbox: new FileOutbox(path.join(root, 'entries')),
    vectors: new FileVectors(path.join(root, 'embeddings')), keys: new FileKeyStore(path.join(root, 'keys')),
  });
  const postgresOf = async (): Promise<StateStores> => {
    const db = connect();
    return { entries: new PgEntryStore(db), outbox: new PgOutbox(db), vectors: new PgVectors(db), keys: await replica() };
  };
  const T = hex(77);

  test('files → postgres copies entries, outbox, embeddings and keys; a rerun changes nothing; a checkpoint resumes; and back', async () => {
    const root = tmp('move');
    const files = filesAt(root);
    for (const n of [1, 2, 3]) await files.entries.write(entry(T, hex(n, 64), `moved ${n}`));
    const record: OutboxRecord = { version: 1, tenant: T, key: hex(9, 64), context: 'c', model: 'm', semanticText: 'q', request: { model: 'm' }, answer: entry(T, hex(9, 64), 'a').response, answeredAt: 1 };
    await files.outbox.write(record);
    const vector = { version: 1 as const, model: 'm', vector: 'AACAPw==', tokens: 2, tokensExact: true, createdAt: 5 };
    await files.vectors.write(T, hex(8, 64), vector);
    const { secret } = await files.keys.create({ name: 'moved', namespace: 'movers' });

    const pg = await postgresOf();
    const checkpoint = path.join(root, 'checkpoint.json');
    expect(await migrateStore(files, pg, checkpoint)).toEqual({ entries: 3, outbox: 1, embeddings: 1, keys: 1 });
    for (const n of [1, 2, 3]) expect(await pg.entries.read(T, hex(n, 64))).toEqual(entry(T, hex(n, 64), `moved ${n}`));
    expect(await pg.outbox.read(T, record.key)).toEqual(record);
    expect(await pg.vectors.read(T, hex(8, 64))).toEqual(vector);
    expect(pg.keys.find(secret)?.namespace).toBe('movers'); // the same secret works against the database
    expect(existsSync(checkpoint)).toBe(false);

    // Idempotent: the same again, nothing new.
    await migrateStore(files, pg, checkpoint);
    expect((await collect(pg.entries.list(T))).map((f) => f.key)).toEqual([1, 2, 3].map((n) => hex(n, 64)));
    // Resumable: a run that stopped after the first entry copies only what came after it.
    writeFileSync(checkpoint, JSON.stringify({ phase: 'entries', after: `${T}/${hex(1, 64)}` }));
    expect(await migrateStore(files, pg, checkpoint)).toMatchObject({ entries: 2, resumedAt: { phase: 'entries' } });

    // And back into an empty directory.
    const back = filesAt(tmp('back'));
    await migrateStore(pg, back, path.join(root, 'back.json'));
    expect(await back.entries.read(T, hex(2, 64))).toEqual(entry(T, hex(2, 64), 'moved 2'));
    expect(back.keys.find(secret)?.name).toBe('moved');
  });
});
