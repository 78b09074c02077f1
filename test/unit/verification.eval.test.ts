import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPairs, loadSplit, sample } from '../../src/ops/eval/pairs';
import { percentile, score } from '../../src/ops/eval/metrics';
import { EntrySource, SemanticLookup } from '../../src/cache/l2/semanticLookup';
import { TextComparison } from '../../src/cache/l3/compare';
import { createVerifier } from '../../src/cache/l3/guardedVerifier';
import type { Entry } from '../../src/cache/storage/entry';
import { MemoryIndex } from '../../src/cache/vectordb/memory';
import { indexRecordOf } from '../../src/cache/vectordb/record';
import { fakeEmbedder } from '../support/fakeEmbedder';

describe('eval scoring', () => {
  it('counts a hit on another entry as a false positive even on a duplicate pair', () => {
    const s = score([
      { label: 1, kind: 'p', served: 'own' },
      { label: 1, kind: 'p', served: 'other' },
      { label: 1, kind: 'p', served: 'miss' },
      { label: 0, kind: 'n', served: 'own' },
      { label: 0, kind: 'n', served: 'miss' },
    ]);
    expect([s.tp, s.fp, s.hits]).toEqual([1, 2, 3]);
    expect(s.precision).toBeCloseTo(1 / 3);
    expect(s.recall).toBeCloseTo(1 / 3);
    expect(s.fpByKind).toEqual({ p: 1, n: 1 });
    expect(s.negativeRejection).toBeCloseTo(0.5);
  });

  it('computes nearest-rank percentiles', () => {
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile([5, 1, 3, 2, 4], 99)).toBe(5);
  });
});

describe('eval pairs', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'reflex-eval-')), 'p.jsonl');
  const lines = Array.from({ length: 20 }, (_, i) => JSON.stringify({ a: `q${i}`, b: `r${i}`, label: i % 2 }));
  fs.writeFileSync(file, lines.join('\n') + '\n');

  it('samples deterministically, and an offset gives a disjoint slice', () => {
    const pairs = loadPairs(file);
    const first = sample(pairs, { seed: 42, offset: 0, limit: 10 });
    expect(sample(pairs, { seed: 42, offset: 0, limit: 10 })).toEqual(first);
    const rest = sample(pairs, { seed: 42, offset: 10, limit: 10 });
    expect(new Set([...first, ...rest].map((p) => p.a)).size).toBe(20);
    expect(sample(pairs, { seed: 0, offset: 0, limit: 3 }).map((p) => p.a)).toEqual(['q0', 'q1', 'q2']);
  });

  it('reads a slice of a splits.json as 0-based line numbers, and names a missing slice', () => {
    const splits = path.join(path.dirname(file), 'splits.json');
    fs.writeFileSync(splits, JSON.stringify({ tune: [0, 2], eval: [1, 3], sizes: {} }));
    expect(loadSplit(splits, 'eval').map((i) => loadPairs(file)[i]!.a)).toEqual(['q1', 'q3']);
    expect(() => loadSplit(splits, 'train')).toThrow(/no slice "train"/);
    expect(() => loadSplit(splits, 'sizes')).toThrow(/no slice "sizes"/);
  });

  it('rejects a malformed line with its location', () => {
    fs.writeFileSync(file, '{"a":"x","b":"y","label":2}\n');
    expect(() => loadPairs(file)).toThrow(/p\.jsonl:1/);
  });
});

describe('the real L2 over the in-memory index (what the offline eval drives)', () => {
  const unit = (...xs: number[]) => {
    const v = Float32Array.from({ length: 8 }, (_, i) => xs[i] ?? 0);
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  };
  const entries = new Map<string, Entry>();
  const source: EntrySource = { load: async (tenant, key) => entries.get(`${tenant}/${key}`) };
  const index = new MemoryIndex();
  const add = async (key: string, context: string, text: string, vector: Float32Array) => {
    const entry: Entry = { version: 1, tenant: 't', key, context, model: 'm', createdAt: 0, semanticText: text, embedding: Array.from(vector), embedder: 'e', response: {} };
    entries.set(`t/${key}`, entry);
    await index.upsert([indexRecordOf(entry)]);
  };
  const lookup = new SemanticLookup(index, source, createVerifier({ threshold: 0.97, guards: [] }), new TextComparison(fakeEmbedder(), false), { candidates: 16, topK: 4, embedder: 'e' });
  const query = { tenant: 't', context: 'ctx', text: 'q', embedding: unit(1, 1, 0, 0, 0, 0, 0, 0) };

  beforeAll(async () => {
    await add('k1', 'ctx', 'near', unit(1, 1, 0, 0, 0, 0, 0, 0.1));
    await add('k2', 'ctx', 'far', unit(-1, 1, 0, 0, 0, 0, 0, 0));
    await add('k3', 'other', 'same', unit(1, 1, 0, 0, 0, 0, 0, 0));
  });

  test('ranks only entries of the same context, best cosine first', async () => {
    const ranked = await lookup.rank(query);
    expect(ranked.map((r) => r.entry.semanticText)).toEqual(['near', 'far']);
    expect(ranked[0]!.similarity).toBeGreaterThan(0.99);
  });

  test('an entry another model embedded is never compared, however close its vector', async () => {
    await add('k4', 'ctx', 'stale', unit(1, 1, 0, 0, 0, 0, 0, 0));
    entries.get('t/k4')!.embedder = 'older-model@000000000000';
    expect((await lookup.rank(query)).map((r) => r.entry.key)).toEqual(['k1', 'k2']);
    entries.delete('t/k4');
  });

  test('L3 chooses at each threshold as find() would', async () => {
    const ranked = await lookup.rank(query);
    expect((await lookup.choose(query, ranked))?.entry.key).toBe('k1');
    expect((await lookup.find(query))?.entry.key).toBe('k1');
    expect(await lookup.choose({ ...query, threshold: 0.999 }, ranked)).toBeUndefined();
    expect(await lookup.find({ ...query, threshold: 0.999 })).toBeUndefined();
  });
});
