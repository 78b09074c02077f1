import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPairs, sample } from '../../src/tools/eval/pairs';
import { percentile, score } from '../../src/tools/eval/metrics';
import { SemanticIndex } from '../../src/tools/eval/semanticIndex';

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

  it('rejects a malformed line with its location', () => {
    fs.writeFileSync(file, '{"a":"x","b":"y","label":2}\n');
    expect(() => loadPairs(file)).toThrow(/p\.jsonl:1/);
  });
});

describe('in-process semantic index', () => {
  const unit = (...xs: number[]) => {
    const v = Float32Array.from({ length: 8 }, (_, i) => xs[i] ?? 0);
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  };

  it('only searches entries of the same context, best cosine first', () => {
    const idx = new SemanticIndex();
    idx.add('ctx', 'near', unit(1, 1, 0, 0, 0, 0, 0, 0.1));
    idx.add('ctx', 'far', unit(-1, 1, 0, 0, 0, 0, 0, 0));
    idx.add('other', 'same', unit(1, 1, 0, 0, 0, 0, 0, 0));
    const found = idx.search('ctx', unit(1, 1, 0, 0, 0, 0, 0, 0), 16, 4);
    expect(found.map((f) => f.entry.text)).toEqual(['near', 'far']);
    expect(found[0]!.similarity).toBeGreaterThan(0.99);
    expect(idx.exact('other', 'same')?.text).toBe('same');
    expect(idx.exact('ctx', 'same')).toBeUndefined();
  });
});
