import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExactCache } from '../../src/cache/l1/exactCache';
import { Entry } from '../../src/cache/storage/entry';
import { EntryStore } from '../../src/cache/storage/entryStore';

const tenant = 'a'.repeat(16);
const entry = (key: string): Entry => ({
  version: 1, tenant, key, context: 'c0ffee', model: 'm', createdAt: 1, semanticText: 'q', embedding: [0.1, 0.2], response: { id: 'x', choices: [] },
});

describe('entry store', () => {
  let store: EntryStore;
  // Each test gets its own store holding entry b, so any one of them runs alone or in any order.
  beforeEach(async () => {
    store = new EntryStore(mkdtempSync(path.join(os.tmpdir(), 'reflex-store-')));
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
