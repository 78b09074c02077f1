import { mkdtempSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExactCache } from '../../src/cache/l1/exactCache';
import { Entry } from '../../src/cache/storage/entry';
import { FileBlobStore } from '../../src/cache/storage/fileBlobStore';
import { FileEntryStore } from '../../src/cache/storage/fileEntryStore';
import { FileOutbox } from '../../src/miss/outbox/fileOutbox';

const tenant = 'a'.repeat(16);
const entry = (key: string): Entry => ({
  version: 1, tenant, key, context: 'c0ffee', model: 'm', createdAt: 1, semanticText: 'q', embedding: [0.1, 0.2], response: { id: 'x', choices: [] },
});

describe('entry store', () => {
  let store: FileEntryStore;
  // Each test gets its own store holding entry b, so any one of them runs alone or in any order.
  beforeEach(async () => {
    store = new FileEntryStore(mkdtempSync(path.join(os.tmpdir(), 'reflex-store-')));
    await store.write(entry('b'.repeat(64)));
  });
  afterEach(() => jest.restoreAllMocks());

  test('writes atomically and reads back, leaving no temp files', async () => {
    await store.write(entry('b'.repeat(64))); // over the existing file: rename replaces it whole
    expect(await store.read(tenant, 'b'.repeat(64))).toEqual(entry('b'.repeat(64)));
    const dir = path.dirname(store.pathOf(tenant, 'b'.repeat(64)));
    expect(readdirSync(dir)).toEqual([`${'b'.repeat(64)}.json`]);
    expect(statSync(store.pathOf(tenant, 'b'.repeat(64))).mode & 0o777).toBe(0o600);
  });

  test('a missing entry is undefined', async () => {
    expect(await store.read(tenant, 'c'.repeat(64))).toBeUndefined();
  });

  test('addresses that could escape the store are refused', () => {
    expect(() => store.pathOf('../../etc', 'b'.repeat(64))).toThrow();
    expect(() => store.pathOf(tenant, '../x')).toThrow();
  });

  test('L1 serves from memory after the first disk read', async () => {
    const l1 = new ExactCache(store, 10);
    const read = jest.spyOn(store, 'read');
    await l1.get(tenant, 'b'.repeat(64));
    await l1.get(tenant, 'b'.repeat(64));
    expect(read).toHaveBeenCalledTimes(1);
  });

  test('only served entries count as used: a shortlist load does not touch the file, a hit and a remember do', async () => {
    const l1 = new ExactCache(store, 10, { trackRecency: true });
    const touch = jest.spyOn(store, 'touch');
    await l1.load(tenant, 'b'.repeat(64));
    expect(touch).not.toHaveBeenCalled();
    l1.remember(entry('b'.repeat(64)));
    expect(touch).toHaveBeenCalledTimes(1);
    const other = new ExactCache(store, 10, { trackRecency: true });
    await other.get(tenant, 'b'.repeat(64));
    expect(touch).toHaveBeenCalledTimes(2);
  });
});

describe('claim-check blobs and the outbox, beside the entries', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'reflex-blobs-'));
  const blobs = new FileBlobStore(root);
  const outbox = new FileOutbox(root);
  const store = new FileEntryStore(root);

  test('a blob is addressed by its content, read back, and swept only when old', async () => {
    const ref = await blobs.put(tenant, { request: 'x'.repeat(3 * 1024 * 1024) });
    expect(ref).toMatch(/^[0-9a-f]{64}$/);
    expect(await blobs.put(tenant, { request: 'x'.repeat(3 * 1024 * 1024) })).toBe(ref);
    expect((await blobs.get<{ request: string }>(tenant, ref))!.request).toHaveLength(3 * 1024 * 1024);
    expect(await blobs.sweep(Date.now() - 60_000)).toBe(0);
    expect(await blobs.sweep(Date.now() + 1_000)).toBe(1);
    expect(await blobs.get(tenant, ref)).toBeUndefined();
  });

  test('a blob this process put is read back from memory, as its own copy, never for another tenant; a sweep or a purge drops the copies', async () => {
    const blobs = new FileBlobStore(mkdtempSync(path.join(os.tmpdir(), 'reflex-recent-')));
    const put = async (value: unknown) => {
      const ref = await blobs.put(tenant, value);
      unlinkSync(blobs.pathOf(tenant, ref)); // only the copy in memory is left
      return ref;
    };
    const kept = await put({ q: 'kept' });
    const copy = await blobs.get<{ q: string }>(tenant, kept);
    expect(copy).toEqual({ q: 'kept' });
    copy!.q = 'changed by a reader';
    expect(await blobs.get(tenant, kept)).toEqual({ q: 'kept' });
    expect(await blobs.get('b'.repeat(16), kept)).toBeUndefined();
    await blobs.removeTenant(tenant);
    expect(await blobs.get(tenant, kept)).toBeUndefined();
    const swept = await put({ q: 'swept' });
    await blobs.sweep(0);
    expect(await blobs.get(tenant, swept)).toBeUndefined();
  });

  test("a fill run's answer marker is the tenant's own, is not an entry, and is swept with the blobs", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'reflex-runs-'));
    const blobs = new FileBlobStore(root);
    const ref = await blobs.put(tenant, { id: 'answer' });
    await blobs.markRun(tenant, 'fill-x/run-1', ref);
    expect(await blobs.runAnswer(tenant, 'fill-x/run-1')).toBe(ref);
    expect(await blobs.runAnswer(tenant, 'fill-x/run-2')).toBeUndefined();
    expect(await blobs.runAnswer('b'.repeat(16), 'fill-x/run-1')).toBeUndefined();
    await expect(blobs.markRun('../x', 'fill-x/run-1', ref)).rejects.toThrow();
    const entries = [];
    for await (const f of new FileEntryStore(root).list()) entries.push(f);
    expect(entries).toEqual([]);
    expect(await blobs.sweep(Date.now() + 1_000)).toBe(2);
    expect(await blobs.runAnswer(tenant, 'fill-x/run-1')).toBeUndefined();
  });

  test('outbox records are listed, read and removed; entry listing ignores blobs and outbox', async () => {
    await blobs.put(tenant, { any: 1 });
    await store.write(entry('d'.repeat(64)));
    const record = { version: 1 as const, tenant, key: 'c'.repeat(64), context: 'c', model: 'm', semanticText: 'q', request: {}, answer: { id: 'a' }, answeredAt: 1 };
    await outbox.write(record);
    const listed = [];
    for await (const a of outbox.list()) listed.push(a);
    expect(listed).toEqual([{ tenant, key: 'c'.repeat(64) }]);
    expect(await outbox.read(tenant, 'c'.repeat(64))).toEqual(record);
    const entries = [];
    for await (const f of store.list()) entries.push(f.key);
    expect(entries).toEqual(['d'.repeat(64)]);
    await outbox.remove(tenant, 'c'.repeat(64));
    expect(await outbox.read(tenant, 'c'.repeat(64))).toBeUndefined();
  });
});

describe('read-your-writes in L1', () => {
  test('a provisional answer is an exact hit until the stored file replaces it; forget drops it', async () => {
    const store = new FileEntryStore(mkdtempSync(path.join(os.tmpdir(), 'reflex-ryw-')));
    const l1 = new ExactCache(store, 10);
    const key = 'e'.repeat(64);
    l1.provisional({ ...entry(key), response: { id: 'provisional', choices: [] } });
    expect((await l1.get(tenant, key))!.response).toEqual({ id: 'provisional', choices: [] });
    await store.write({ ...entry(key), response: { id: 'stored', choices: [] } });
    expect((await l1.get(tenant, key))!.response).toEqual({ id: 'stored', choices: [] });
    l1.provisional({ ...entry('f'.repeat(64)) });
    l1.forget(tenant, 'f'.repeat(64));
    expect(await l1.get(tenant, 'f'.repeat(64))).toBeUndefined();
  });

  test('past its revalidation, a copy is served only while the store cannot answer (stale-if-error); with none, the failure stands', async () => {
    const store = new FileEntryStore(mkdtempSync(path.join(os.tmpdir(), 'reflex-stale-')));
    const l1 = new ExactCache(store, 10, { revalidateMs: 20 });
    const key = 'a'.repeat(64);
    await store.write(entry(key));
    expect(await l1.get(tenant, key)).toBeDefined();
    await new Promise((r) => setTimeout(r, 40));
    expect(l1.getInMemory(tenant, key)).toBeUndefined(); // past its revalidation
    const down = jest.spyOn(store, 'read').mockRejectedValue(new Error('store down'));
    expect((await l1.get(tenant, key))?.key).toBe(key); // the store is down: the copy is served
    await expect(l1.get(tenant, 'b'.repeat(64))).rejects.toThrow('store down'); // nothing to fall back on
    down.mockRestore();
    await store.remove(tenant, key);
    expect(await l1.get(tenant, key)).toBeUndefined(); // the store answers again: its word counts, not the copy
  });
});
