/**
 * The storage ports' conformance suite: every method of each port — key store,
 * entry store, blob store, outbox, stored embeddings, audit verdicts — run against both
 * adapters, files (the embedded default) and PostgreSQL (a real server:
 * test/support/postgres.ts), so the two cannot drift apart. What only one
 * adapter has (NOTIFY between replicas, keyset pages, claims that exclude
 * another drainer, migrations) is in postgres.e2e.test.ts.
 */
import { Authenticator } from '../../src/auth/authenticate';
import { FileKeyStore } from '../../src/auth/fileKeyStore';
import { hashOf, KeyStore } from '../../src/auth/keyStore';
import { TenantHasher } from '../../src/cache/keys/tenant';
import { BlobStore } from '../../src/cache/storage/blobStore';
import { FileBlobStore } from '../../src/cache/storage/fileBlobStore';
import { EntryStore } from '../../src/cache/storage/entryStore';
import { FileEntryStore } from '../../src/cache/storage/fileEntryStore';
import { Expiry } from '../../src/cache/storage/expiry';
import { Outbox } from '../../src/miss/outbox/outbox';
import { FileOutbox } from '../../src/miss/outbox/fileOutbox';
import { PgBlobStore } from '../../src/cache/storage/pgBlobStore';
import { PgEntryStore } from '../../src/cache/storage/pgEntryStore';
import { PgOutbox } from '../../src/miss/outbox/pgOutbox';
import { PgVectors } from '../../src/cache/vectors/pgVectors';
import { StoredVector, VectorBackend, VectorStore } from '../../src/cache/vectors/vectorStore';
import { FileVectors } from '../../src/cache/vectors/fileVectors';
import { usePostgres } from '../support/postgres';
import { FileVerdictStore } from '../../src/cache/l3/budget/fileVerdictStore';
import { PgVerdictStore } from '../../src/cache/l3/budget/pgVerdictStore';
import type { Verdict, VerdictStore } from '../../src/cache/l3/budget/verdicts';
import { collect, entry, hex, outboxRecord, tmp } from '../support/storeFixtures';

const pg = usePostgres();
beforeAll(() => pg.connect().migrate(), 60_000);

interface Stores {
  entries: EntryStore;
  blobs: BlobStore;
  outbox: Outbox;
  vectors: VectorBackend;
}

interface Adapter {
  keys(): Promise<KeyStore>;
  stores(): Stores;
  /** Tenants of its own: the PostgreSQL tables are shared by the whole file. */
  tenant(n: number): string;
}

const ADAPTERS: Array<[string, Adapter]> = [
  ['files', {
    keys: async () => new FileKeyStore(tmp('keys')),
    stores: () => {
      const root = tmp('store');
      return { entries: new FileEntryStore(root), blobs: new FileBlobStore(root), outbox: new FileOutbox(root), vectors: new FileVectors(tmp('vectors')) };
    },
    tenant: (n) => hex(n),
  }],
  ['postgres', {
    keys: () => pg.replica(),
    stores: () => {
      const db = pg.connect();
      return { entries: new PgEntryStore(db), blobs: new PgBlobStore(db), outbox: new PgOutbox(db), vectors: new PgVectors(db) };
    },
    tenant: (n) => hex(n + 1000),
  }],
];

describe.each(ADAPTERS)('key store: %s', (_name, adapter) => {
  test('a created key is found by its secret, listed oldest first, and gone once revoked', async () => {
    const store = await adapter.keys();
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
    await store.close?.();
  });

  test('expiry: the store keeps expires_at exactly, and the key works until then and never after', async () => {
    const store = await adapter.keys();
    const now = new Date();
    const { key, secret } = await store.create({ name: 'expiring', expires_in: 60 }, now);
    const at = new Date(now.getTime() + 60_000).toISOString();
    expect(key.expires_at).toBe(at);
    expect(store.find(secret)?.expires_at).toBe(at);
    expect((await store.list()).find((k) => k.id === key.id)?.expires_at).toBe(at);
    const auth = new Authenticator('keys', store, new TenantHasher(Buffer.alloc(32, 7)), 'sk-upstream');
    expect(auth.identify(`Bearer ${secret}`, now.getTime() + 59_000).key?.id).toBe(key.id);
    expect(() => auth.identify(`Bearer ${secret}`, now.getTime() + 60_000)).toThrow(expect.objectContaining({ status: 401, message: 'This API key has expired.' }));
  });

  test('exportAll gives each key under its secret hash, in hash order; importKey brings a key back with its secret working, or replaces it', async () => {
    const store = await adapter.keys();
    const { key, secret } = await store.create({ name: 'exported', namespace: 'movers' });
    await store.create({ name: 'another' });
    const all = await store.exportAll();
    expect(all.map((s) => s.hash)).toEqual(all.map((s) => s.hash).sort());
    const exported = all.find((s) => s.key.id === key.id)!;
    expect(exported).toEqual({ hash: hashOf(secret), key });
    expect(JSON.stringify(all)).not.toContain(secret);

    await store.remove(key.id);
    expect(store.find(secret)).toBeUndefined();
    await store.importKey(exported);
    expect(store.find(secret)).toEqual(key);
    await store.importKey({ ...exported, key: { ...key, name: 'renamed' } });
    expect(store.find(secret)?.name).toBe('renamed');
    expect((await store.list()).filter((k) => k.id === key.id).map((k) => k.name)).toEqual(['renamed']);
    await expect(store.importKey({ hash: 'not-a-sha256', key })).rejects.toThrow(/invalid key hash/);
  });
});

describe.each(ADAPTERS)('entry store: %s', (_name, { stores, tenant }) => {
  test('written, read back exactly (the embedding too), replaced, listed in order with size and use, touched, recent, removed', async () => {
    const { entries } = stores();
    const [a, b] = [entry(tenant(1), hex(1, 64), 'one'), entry(tenant(1), hex(2, 64), 'two')];
    await entries.write(b);
    await entries.write(a);
    expect(await entries.read(tenant(1), a.key)).toEqual(a);
    expect(await entries.read(tenant(1), hex(3, 64))).toBeUndefined();
    await entries.write({ ...a, semanticText: 'one again' });
    expect((await entries.read(tenant(1), a.key))?.semanticText).toBe('one again');
    const listed = await collect(entries.list(tenant(1)));
    expect(listed.map((f) => f.key)).toEqual([a.key, b.key]);
    expect(listed.every((f) => f.tenant === tenant(1) && f.bytes > 0 && f.usedAt > 0)).toBe(true);
    await entries.touch(tenant(1), b.key, new Date(1_800_000_000_000));
    expect((await collect(entries.list(tenant(1)))).find((f) => f.key === b.key)?.usedAt).toBe(1_800_000_000_000);
    // What the index repair checks: written or used since an instant (b was "used" in 2027, a just now).
    expect((await collect(entries.recent(1_799_999_999_999))).filter((f) => f.tenant === tenant(1)).map((f) => f.key)).toEqual([b.key]);
    expect((await collect(entries.recent(Date.now() - 60_000))).filter((f) => f.tenant === tenant(1)).map((f) => f.key).sort()).toEqual([a.key, b.key].sort());
    expect(await entries.remove(tenant(1), a.key)).toBe(true);
    expect(await entries.remove(tenant(1), a.key)).toBe(false);
    expect(await entries.read(tenant(1), a.key)).toBeUndefined();
    await expect(entries.checkWritable()).resolves.toBeUndefined();
  });

  test("every tenant's entries are listed tenant by tenant; each store's tenant removal takes that tenant's own data only, and no other tenant's", async () => {
    const { entries, blobs, outbox } = stores();
    const [t1, t2] = [tenant(11), tenant(12)];
    for (const t of [t2, t1]) for (const n of [2, 1]) await entries.write(entry(t, hex(n, 64), `${t} ${n}`));
    const mine = (await collect(entries.list())).filter((f) => f.tenant === t1 || f.tenant === t2);
    expect(mine.map((f) => `${f.tenant}/${f.key}`)).toEqual([t1, t2].flatMap((t) => [1, 2].map((n) => `${t}/${hex(n, 64)}`)));
    const ref = await blobs.put(t1, { q: 'gone with its tenant' });
    await outbox.write(outboxRecord(t1, hex(5, 64)));
    await outbox.write(outboxRecord(t2, hex(5, 64)));

    // Each adapter touches only its own files or tables: the entries go, the tenant's blobs and outbox stay...
    expect(await entries.removeTenant(t1)).toBe(2);
    expect(await collect(entries.list(t1))).toEqual([]);
    expect(await blobs.get(t1, ref)).toEqual({ q: 'gone with its tenant' });
    expect(await outbox.read(t1, hex(5, 64))).toBeDefined();
    // ...until their own stores remove them.
    await blobs.removeTenant(t1);
    await outbox.removeTenant(t1);
    expect(await blobs.get(t1, ref)).toBeUndefined();
    expect(await outbox.read(t1, hex(5, 64))).toBeUndefined();
    expect((await entries.read(t2, hex(1, 64)))?.semanticText).toBe(`${t2} 1`);
    expect(await outbox.read(t2, hex(5, 64))).toBeDefined();
    expect(await entries.removeTenant(t1)).toBe(0);
    await blobs.removeTenant(t1); // nothing left: still fine
  });
});

describe.each(ADAPTERS)('blob store: %s', (_name, { stores, tenant }) => {
  test('content-addressed: one copy per content, read back by its tenant, or found without it', async () => {
    const { blobs } = stores();
    const ref = await blobs.put(tenant(3), { q: 'question' });
    expect(ref).toMatch(/^[0-9a-f]{64}$/);
    expect(await blobs.put(tenant(3), { q: 'question' })).toBe(ref);
    expect(await blobs.get(tenant(3), ref)).toEqual({ q: 'question' });
    expect(await blobs.get(tenant(3), hex(1, 64))).toBeUndefined();
    expect(await blobs.findAnyTenant(ref)).toEqual({ q: 'question' }); // the codec endpoint may not know the tenant
    expect(await blobs.findAnyTenant(hex(2, 64))).toBeUndefined();
  });

  test("a run's answer marker: written with its blob, or on its own, and read back per run", async () => {
    const { blobs } = stores();
    const answer = await blobs.putForRun(tenant(4), 'wf/run-1', { a: 'answer' });
    expect(await blobs.get(tenant(4), answer)).toEqual({ a: 'answer' });
    expect(await blobs.runAnswer(tenant(4), 'wf/run-1')).toBe(answer);
    expect(await blobs.runAnswer(tenant(4), 'wf/run-2')).toBeUndefined();
    const other = await blobs.put(tenant(4), { a: 'another answer' });
    await blobs.markRun(tenant(4), 'wf/run-2', other);
    expect(await blobs.runAnswer(tenant(4), 'wf/run-2')).toBe(other);
  });

  test('swept by age: blobs and markers older than the cut go, newer ones stay', async () => {
    const { blobs } = stores();
    const ref = await blobs.putForRun(tenant(5), 'wf/run-1', { q: 'old' });
    expect(await blobs.sweep(Date.now() - 60_000)).toBe(0);
    expect(await blobs.get(tenant(5), ref)).toEqual({ q: 'old' });
    expect(await blobs.sweep(Date.now() + 60_000)).toBeGreaterThanOrEqual(1);
    expect(await blobs.get(tenant(5), ref)).toBeUndefined();
    expect(await blobs.runAnswer(tenant(5), 'wf/run-1')).toBeUndefined();
  });
});

describe.each(ADAPTERS)('outbox: %s', (_name, { stores, tenant }) => {
  test('a record written is read back exactly, replaced by a rewrite, listed until removed', async () => {
    const { outbox } = stores();
    const record = outboxRecord(tenant(6), hex(6, 64));
    await outbox.write(record);
    expect(await outbox.read(tenant(6), record.key)).toEqual(record);
    await outbox.write({ ...record, semanticText: 'again' });
    expect((await outbox.read(tenant(6), record.key))?.semanticText).toBe('again');
    expect(await collect(outbox.list())).toContainEqual({ tenant: tenant(6), key: record.key });
    await outbox.remove(tenant(6), record.key);
    await outbox.remove(tenant(6), record.key); // already gone: no error
    expect(await outbox.read(tenant(6), record.key)).toBeUndefined();
    expect(await collect(outbox.list())).not.toContainEqual({ tenant: tenant(6), key: record.key });
  });

  test("a drainer's claim yields every record no other drainer holds, oldest first, and never one removed", async () => {
    const { outbox } = stores();
    const keys = [1, 2, 3].map((n) => hex(n, 64));
    for (const [i, key] of keys.entries()) await outbox.write(outboxRecord(tenant(7), key, 1_000 + i));
    await outbox.remove(tenant(7), keys[1]!);
    const claimed = (await collect(outbox.claim())).filter((r) => r.tenant === tenant(7));
    expect(claimed).toEqual([keys[0], keys[2]].map((key) => ({ tenant: tenant(7), key })));
  });
});

describe.each(ADAPTERS)('stored embeddings: %s', (_name, { stores, tenant }) => {
  const stored = (createdAt = Date.now()): StoredVector => ({ version: 1, model: 'm', vector: 'AACAPw==', tokens: 3, tokensExact: true, createdAt });

  test('written and read back exactly, replaced, touched, listed with their use, removed one by one and by tenant', async () => {
    const { vectors } = stores();
    const [t, other] = [tenant(8), tenant(9)];
    await vectors.write(t, hex(1, 64), stored(1));
    await vectors.write(t, hex(1, 64), stored(2));
    await vectors.write(t, hex(2, 64), stored(3));
    await vectors.write(other, hex(1, 64), stored(4));
    expect(await vectors.read(t, hex(1, 64))).toEqual(stored(2));
    expect(await vectors.read(t, hex(3, 64))).toBeUndefined();
    await vectors.touch(t, hex(2, 64), new Date(1_800_000_000_000));
    const listed = (await collect(vectors.list())).filter((v) => v.tenant === t);
    expect(listed.map((v) => v.key)).toEqual([hex(1, 64), hex(2, 64)]);
    expect(listed[1]!.usedAt).toBe(1_800_000_000_000);
    expect(await vectors.remove(t, hex(1, 64))).toBe(true);
    expect(await vectors.remove(t, hex(1, 64))).toBe(false);
    await vectors.removeTenant(t);
    expect((await collect(vectors.list())).filter((v) => v.tenant === t)).toEqual([]);
    expect(await vectors.read(other, hex(1, 64))).toEqual(stored(4));
  });

  test('REFLEX_TTL over either backend: an expired vector is not served, a fresh one is', async () => {
    const { vectors } = stores();
    const ttl = new Expiry(60_000);
    await new VectorStore(vectors, 10).put(tenant(10), hex(1, 64), stored(Date.now() - 120_000));
    const fresh = stored();
    await new VectorStore(vectors, 10).put(tenant(10), hex(2, 64), fresh);
    const reader = new VectorStore(vectors, 10, ttl); // another process: nothing in its memory
    expect(await reader.get(tenant(10), hex(1, 64))).toBeUndefined();
    expect(await reader.get(tenant(10), hex(2, 64))).toEqual(fresh);
  });
});

describe.each<[string, () => VerdictStore, (n: number) => string]>([
  ['files', () => new FileVerdictStore(tmp('verdicts')), (n) => hex(n + 2000)],
  ['postgres', () => new PgVerdictStore(pg.connect()), (n) => hex(n + 3000)],
])('verdict store: %s', (_name, open, tenant) => {
  const verdict = (t: string, id: string, wrong: boolean): Verdict => ({
    id, source: 'audit', tenant: t, key: 'k'.repeat(64), entryKey: 'e'.repeat(64), model: 'm', similarity: 0.93, wrong, judge: 'embedding', judgeScore: 0.5, at: 1,
  });

  test('appended verdicts are read oldest first and read on from a cursor; tenants apart; a purge empties one tenant', async () => {
    const store = open();
    const [a, b] = [tenant(1), tenant(2)];
    await store.append(verdict(a, 'v1', true));
    await store.append(verdict(a, 'v2', false));
    await store.append(verdict(b, 'w1', false));
    const first = await store.read(a);
    expect(first.verdicts.map((v) => [v.id, v.wrong])).toEqual([['v1', true], ['v2', false]]);
    expect(first.verdicts[0]).toEqual(verdict(a, 'v1', true));
    expect((await store.read(a, first.cursor)).verdicts).toEqual([]);
    await store.append(verdict(a, 'v3', true));
    expect((await store.read(a, first.cursor)).verdicts.map((v) => v.id)).toEqual(['v3']);
    expect((await store.read(b)).verdicts.map((v) => v.id)).toEqual(['w1']);
    expect(await store.tenants()).toEqual(expect.arrayContaining([a, b]));
    await store.removeTenant(a);
    expect((await store.read(a)).verdicts).toEqual([]);
    expect(await store.tenants()).not.toContain(a);
    expect((await store.read(b)).verdicts).toHaveLength(1);
  });

  test('a tenant id that is not 16 hex characters names no file or row', async () => {
    const store = open();
    await expect(store.append(verdict('../etc', 'x', true))).rejects.toThrow(/invalid tenant/);
    await expect(store.read('../etc')).rejects.toThrow(/invalid tenant/);
  });
});

