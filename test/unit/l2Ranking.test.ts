/**
 * L2 ranks a shortlist from the copies L1 holds in memory, even past their
 * revalidation, so a lookup on a large cache costs no storage read per
 * candidate; the candidate L3 accepts is loaded again, and served only if the
 * store still holds what was judged.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExactCache } from '../../src/cache/l1/exactCache';
import { SemanticLookup } from '../../src/cache/l2/semanticLookup';
import { TextComparison } from '../../src/cache/l3/compare';
import { createVerifier } from '../../src/cache/l3/guardedVerifier';
import type { Entry } from '../../src/cache/storage/entry';
import { Expiry } from '../../src/cache/storage/expiry';
import { FileEntryStore } from '../../src/cache/storage/fileEntryStore';
import { MemoryIndex } from '../../src/cache/vectordb/memory';
import { indexRecordOf } from '../../src/cache/vectordb/record';
import { fakeEmbedder } from '../support/fakeEmbedder';

const T = 'a'.repeat(16);
const K1 = '1'.repeat(64);
const K2 = '2'.repeat(64);
const REVALIDATE_MS = 20;

const unit = (...xs: number[]) => {
  const v = Float32Array.from({ length: 8 }, (_, i) => xs[i] ?? 0);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const entryOf = (key: string, text: string, vector: Float32Array): Entry => ({
  version: 1, tenant: T, key, context: 'ctx', model: 'm', createdAt: Date.now(), semanticText: text, embedding: Array.from(vector), embedder: 'e', response: { id: text },
});

describe('L2 ranks from memory and revalidates what it serves', () => {
  let store: FileEntryStore;
  let lookup: SemanticLookup;
  const query = { tenant: T, context: 'ctx', text: 'q', embedding: unit(1, 1) };

  beforeEach(async () => {
    store = new FileEntryStore(mkdtempSync(path.join(os.tmpdir(), 'reflex-l2-')));
    const exact = new ExactCache(store, 10, { revalidateMs: REVALIDATE_MS });
    const index = new MemoryIndex();
    // Both within the verifier's 0.97 of the query; k1 the closer.
    for (const e of [entryOf(K1, 'near', unit(1, 1, 0, 0, 0, 0, 0, 0.1)), entryOf(K2, 'close', unit(1, 1, 0, 0, 0, 0, 0, 0.2))]) {
      await store.write(e);
      await index.upsert([indexRecordOf(e)]);
      await exact.load(T, e.key); // in memory, as after an earlier lookup
    }
    await new Promise((r) => setTimeout(r, 2 * REVALIDATE_MS)); // both copies now past their revalidation
    lookup = new SemanticLookup(index, exact, createVerifier({ threshold: 0.97, guards: [] }), new TextComparison(fakeEmbedder(), false), { candidates: 16, topK: 4, embedder: 'e' });
  });
  afterEach(() => jest.restoreAllMocks());

  test('ranking reads no stored entry; serving reads the one served', async () => {
    const read = jest.spyOn(store, 'read');
    expect((await lookup.rank(query)).map((c) => c.entry.key)).toEqual([K1, K2]);
    expect(read).not.toHaveBeenCalled();
    expect((await lookup.find(query))?.entry.response).toEqual({ id: 'near' });
    expect(read.mock.calls.map(([, key]) => key)).toEqual([K1]);
  });

  test('a candidate deleted from the store since is not served: the next one the verifier accepts is', async () => {
    await store.remove(T, K1);
    expect((await lookup.find(query))?.entry.key).toBe(K2);
  });

  test('a candidate whose stored question changed is not served on the strength of the old one', async () => {
    await store.write(entryOf(K1, 'a different question', unit(1, 1, 0, 0, 0, 0, 0, 0.1)));
    expect((await lookup.find(query))?.entry.key).toBe(K2);
    // Its revalidation put the stored copy in memory: from then on L3 judges the question it holds now.
    await store.remove(T, K2);
    expect((await lookup.find(query))?.entry.semanticText).toBe('a different question');
  });

  test('a copy in memory from an older model is read again (the entry was re-embedded since)', async () => {
    const store2 = new FileEntryStore(mkdtempSync(path.join(os.tmpdir(), 'reflex-l2m-')));
    const exact = new ExactCache(store2, 10, { revalidateMs: REVALIDATE_MS });
    const index = new MemoryIndex();
    const current = entryOf(K1, 'near', unit(1, 1, 0, 0, 0, 0, 0, 0.1));
    await store2.write({ ...current, embedder: 'older-model' });
    await exact.load(T, K1);
    await store2.write(current);
    await new Promise((r) => setTimeout(r, 2 * REVALIDATE_MS));
    await index.upsert([indexRecordOf(current)]);
    const reembedded = new SemanticLookup(index, exact, createVerifier({ threshold: 0.97, guards: [] }), new TextComparison(fakeEmbedder(), false), { candidates: 16, topK: 4, embedder: 'e' });
    expect((await reembedded.find(query))?.entry.key).toBe(K1);
  });

  test('a replaced answer is served as stored now, not as remembered', async () => {
    await store.write({ ...entryOf(K1, 'near', unit(1, 1, 0, 0, 0, 0, 0, 0.1)), response: { id: 'refreshed' } });
    expect((await lookup.find(query))?.entry.response).toEqual({ id: 'refreshed' });
  });
});

describe('ExactCache.inMemory', () => {
  test('a copy past its revalidation, never an expired one, and no use counted', async () => {
    const store = new FileEntryStore(mkdtempSync(path.join(os.tmpdir(), 'reflex-l1mem-')));
    const expiry = new Expiry(60_000); // an hour-old entry is expired
    const exact = new ExactCache(store, 10, { revalidateMs: REVALIDATE_MS, trackRecency: true, expiry });
    const touch = jest.spyOn(store, 'touch');
    await store.write(entryOf(K1, 'near', unit(1)));
    expect(exact.inMemory(T, K1)).toBeUndefined(); // never read: nothing in memory
    await exact.load(T, K1);
    await new Promise((r) => setTimeout(r, 2 * REVALIDATE_MS));
    expect(exact.getInMemory(T, K1)).toBeUndefined(); // past its revalidation for a hit…
    expect(exact.inMemory(T, K1)?.key).toBe(K1); // …still there to rank by
    expect(touch).not.toHaveBeenCalled();
    exact.remember({ ...entryOf(K2, 'old', unit(1)), createdAt: Date.now() - 3_600_000 });
    expect(exact.inMemory(T, K2)).toBeUndefined(); // expired
  });
});
