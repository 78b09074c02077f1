/**
 * The sweeper on a real entry store (temp dir) with a recording stand-in for
 * Milvus: TTL removal and least-recently-used eviction, where recency is the
 * file mtime that L1 hits refresh.
 */
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { ExactCache } from '../../src/cache/l1/exactCache';
import { Metrics } from '../../src/metrics';
import { Sweeper } from '../../src/ops/sweeper';
import { Entry } from '../../src/cache/storage/entry';
import { FileEntryStore } from '../../src/cache/storage/fileEntryStore';
import { Expiry, NEVER_EXPIRES } from '../../src/cache/storage/expiry';
import type { EntryAddress, VectorIndex } from '../../src/cache/vectordb/index';
import { MemoryIndex } from '../../src/cache/vectordb/memory';
import { fake } from '../support/fake';
import { VectorStore } from '../../src/cache/vectors/vectorStore';
import { FileVectors } from '../../src/cache/vectors/fileVectors';

const TENANT = 'ab'.repeat(8);
const key = (n: number) => n.toString(16).padStart(64, '0');
const entry = (n: number, createdAt: number): Entry => ({
  version: 1, tenant: TENANT, key: key(n), context: 'cc', model: 'm', createdAt, semanticText: `q${n}`, embedding: [1, -1], response: { choices: [] },
});

class RecordingIndex extends MemoryIndex {
  deletedKeys: string[] = [];
  deletedBefore: number[] = [];
  override async delete(addresses: EntryAddress[]) { this.deletedKeys.push(...addresses.map((a) => `${a.tenant}/${a.key}`)); }
  override async deleteCreatedBefore(ms: number) { this.deletedBefore.push(ms); }
}

let root: string;
let store: FileEntryStore;
let index: RecordingIndex;
const sweeper = (expiry: Expiry, maxEntries: number) =>
  new Sweeper({ store, index, expiry, maxEntries, metrics: new Metrics(), log: pino({ level: 'silent' }) });

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'reflex-sweep-'));
  store = new FileEntryStore(root);
  index = new RecordingIndex();
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

test('expired entries leave storage and Milvus; fresh ones stay; L1 never serves an expired one', async () => {
  const now = Date.now();
  await store.write(entry(1, now - 10_000));
  await store.write(entry(2, now));
  const expiry = new Expiry(5_000);
  expect(await new ExactCache(store, 10, { expiry }).get(TENANT, key(1))).toBeUndefined();
  expect(await sweeper(expiry, 0).sweep(now)).toEqual({ expired: 1, evicted: 0 });
  expect(await store.read(TENANT, key(1))).toBeUndefined();
  expect(await store.read(TENANT, key(2))).toBeDefined();
  expect(index.deletedKeys).toEqual([`${TENANT}/${key(1)}`]);
  expect(index.deletedBefore).toEqual([now - 5_000]);
});

test('above the bound, the least recently used entries are evicted; an L1 hit counts as a use', async () => {
  const now = Date.now();
  for (const n of [1, 2, 3]) {
    await store.write(entry(n, now));
    await store.touch(TENANT, key(n), new Date(now - (10 - n) * 60_000)); // written 9, 8, 7 minutes ago
  }
  const l1 = new ExactCache(store, 10, { trackRecency: true });
  await l1.get(TENANT, key(1)); // the oldest write is now the most recent use
  await new Promise((r) => setTimeout(r, 50)); // the touch is fire-and-forget
  expect(await sweeper(NEVER_EXPIRES, 2).sweep(now)).toEqual({ expired: 0, evicted: 1 });
  expect(await store.read(TENANT, key(2))).toBeUndefined();
  expect(await store.read(TENANT, key(1))).toBeDefined();
  expect(await store.read(TENANT, key(3))).toBeDefined();
  expect(index.deletedKeys).toEqual([`${TENANT}/${key(2)}`]);
});

test('a failed Milvus delete is retried on the next sweep', async () => {
  await store.write(entry(1, 0));
  const failing = { delete: jest.fn().mockRejectedValueOnce(new Error('milvus down')).mockResolvedValue(undefined), deleteCreatedBefore: jest.fn() };
  const s = new Sweeper({ store, index: fake<VectorIndex>(failing, 'index'), expiry: new Expiry(1_000), maxEntries: 0, metrics: new Metrics(), log: pino({ level: 'silent' }) });
  await expect(s.sweep()).rejects.toThrow('milvus down');
  await s.sweep();
  expect(failing.delete).toHaveBeenLastCalledWith([{ tenant: TENANT, key: key(1) }]);
});

test('an entry file that cannot be read is removed (and unindexed) once its mtime is older than the TTL', async () => {
  const now = Date.now();
  const expiry = new Expiry(5_000);
  for (const [n, content] of [[1, '{"half an'], [2, JSON.stringify({ version: 99 })], [3, '{"recent but broken']] as const) {
    await store.write(entry(n, now));
    writeFileSync(store.pathOf(TENANT, key(n)), content);
    if (n !== 3) await store.touch(TENANT, key(n), new Date(now - 10_000));
  }
  expect(await sweeper(expiry, 0).sweep(now)).toEqual({ expired: 2, evicted: 0 });
  expect(existsSync(store.pathOf(TENANT, key(1)))).toBe(false);
  expect(existsSync(store.pathOf(TENANT, key(2)))).toBe(false);
  // Written within the TTL: its age is unknown until the mtime ages past the cutoff.
  expect(existsSync(store.pathOf(TENANT, key(3)))).toBe(true);
  expect(index.deletedKeys.sort()).toEqual([`${TENANT}/${key(1)}`, `${TENANT}/${key(2)}`]);
});

test('a file in the store that is not an entry (stray name) neither stops the sweep nor hides expired entries', async () => {
  const now = Date.now();
  await store.write(entry(1, now - 10_000));
  const dir = path.dirname(store.pathOf(TENANT, key(1)));
  writeFileSync(path.join(dir, 'notes.json'), 'x');
  await store.touch(TENANT, key(1), new Date(now - 10_000));
  utimesSync(path.join(dir, 'notes.json'), new Date(now - 10_000), new Date(now - 10_000));
  expect(await sweeper(new Expiry(5_000), 0).sweep(now)).toEqual({ expired: 1, evicted: 0 });
  expect(existsSync(store.pathOf(TENANT, key(1)))).toBe(false);
});

test('an entry that cannot be removed is retried next sweep; the others go now', async () => {
  const now = Date.now();
  for (const n of [1, 2]) await store.write(entry(n, now - 10_000));
  const remove = store.remove.bind(store);
  jest.spyOn(store, 'remove').mockImplementation(async (t, k) => (k === key(1) ? Promise.reject(new Error('EBUSY')) : remove(t, k)));
  expect(await sweeper(new Expiry(5_000), 0).sweep(now)).toEqual({ expired: 2, evicted: 0 });
  expect(existsSync(store.pathOf(TENANT, key(1)))).toBe(true);
  expect(existsSync(store.pathOf(TENANT, key(2)))).toBe(false);
  expect(index.deletedKeys).toEqual([`${TENANT}/${key(2)}`]);
});

test('the embeddings store: expired vectors go, then the least recently used above its bound; a hit counts as a use', async () => {
  const files = new FileVectors(path.join(root, 'embeddings'));
  const vectors = new VectorStore(files, 10);
  const now = Date.now();
  const stored = (n: number) => ({ version: 1 as const, model: 'm', vector: 'AACAPw==', tokens: 1, tokensExact: true, createdAt: now - n * 100_000 });
  for (const n of [1, 2, 3, 4]) await vectors.put(TENANT, key(n), stored(n));
  // Item n last written n × 100 s ago; item 4 is past a 350 s TTL.
  for (const n of [1, 2, 3, 4]) utimesSync(files.pathOf(TENANT, key(n)), (now - n * 100_000) / 1000, (now - n * 100_000) / 1000);
  // A hit on item 3 (read from disk by a fresh process) makes it the most recently used.
  await new VectorStore(new FileVectors(path.join(root, 'embeddings')), 10).get(TENANT, key(3));
  await new Promise((r) => setTimeout(r, 50));
  const report = await new Sweeper({ store, index, expiry: new Expiry(350_000), maxEntries: 0, embeddings: { store: vectors, maxItems: 2 }, metrics: new Metrics(), log: pino({ level: 'silent' }) }).sweep(now);
  expect(report.embeddings).toEqual({ expired: 1, evicted: 1 });
  const left = [1, 2, 3, 4].filter((n) => existsSync(files.pathOf(TENANT, key(n))));
  expect(left).toEqual([1, 3]);
  expect(await vectors.get(TENANT, key(2))).toBeUndefined();
});
