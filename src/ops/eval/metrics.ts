/**
 * Scoring shared by the offline and gateway evals. A hit that serves the
 * pair's own `a` answer is a true positive on a duplicate pair; any hit on a
 * non-duplicate, and any hit that serves some other entry's answer, is a
 * false positive; recall counts true positives over all duplicate pairs.
 */

export type Served = 'own' | 'other' | 'miss';

export interface Outcome {
  label: 0 | 1;
  kind: string;
  served: Served;
}

export interface Scores {
  pairs: number;
  positives: number;
  tp: number;
  fp: number;
  hits: number;
  precision: number;
  recall: number;
  f1: number;
  hitRate: number;
  fpByKind: Record<string, number>;
  /** Negative pairs (label 0) that were not served, over all negative pairs. */
  negativeRejection: number;
}

export function isFalsePositive(o: Outcome): boolean {
  return o.served === 'other' || (o.served === 'own' && o.label === 0);
}

export function score(outcomes: readonly Outcome[]): Scores {
  const positives = outcomes.filter((o) => o.label === 1).length;
  const negatives = outcomes.length - positives;
  const tp = outcomes.filter((o) => o.served === 'own' && o.label === 1).length;
  const fps = outcomes.filter(isFalsePositive);
  const hits = outcomes.filter((o) => o.served !== 'miss').length;
  const fpByKind: Record<string, number> = {};
  for (const o of fps) fpByKind[o.kind] = (fpByKind[o.kind] ?? 0) + 1;
  const precision = tp + fps.length === 0 ? 1 : tp / (tp + fps.length);
  const recall = positives === 0 ? 0 : tp / positives;
  const negServed = outcomes.filter((o) => o.label === 0 && o.served !== 'miss').length;
  return {
    pairs: outcomes.length, positives, tp, fp: fps.length, hits, precision, recall,
    f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
    hitRate: outcomes.length === 0 ? 0 : hits / outcomes.length,
    fpByKind,
    negativeRejection: negatives === 0 ? 1 : 1 - negServed / negatives,
  };
}

/** Nearest-rank percentile of a list of numbers (e.g. latencies in ms). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const f3 = (x: number) => x.toFixed(3);

export function formatScores(s: Scores): string {
  const kinds = Object.entries(s.fpByKind).map(([k, n]) => `${k}=${n}`).join(' ') || 'none';
  return [
    `pairs ${s.pairs} (duplicates ${s.positives})  hits ${s.hits}  TP ${s.tp}  FP ${s.fp}`,
    `precision ${f3(s.precision)}  recall ${f3(s.recall)}  F1 ${f3(s.f1)}  hit rate ${f3(s.hitRate)}  negative rejection ${f3(s.negativeRejection)}`,
    `false positives by kind: ${kinds}`,
  ].join('\n');
}

/** Markdown table, one row per threshold, for BENCHMARKS.md. */
export function formatSweep(rows: ReadonlyArray<{ threshold: number; floor?: number; scores: Scores }>): string {
  const floors = rows.some((r) => r.floor !== undefined);
  const lines = [
    `|${floors ? ' cosine floor |' : ''} threshold | precision | recall | F1 | hit rate | TP | FP |`,
    `|${floors ? '---|' : ''}---|---|---|---|---|---|---|`,
  ];
  for (const { threshold, floor, scores: s } of rows) {
    lines.push(`|${floors ? ` ${floor?.toFixed(2)} |` : ''} ${threshold.toFixed(2)} | ${f3(s.precision)} | ${f3(s.recall)} | ${f3(s.f1)} | ${f3(s.hitRate)} | ${s.tp} | ${s.fp} |`);
  }
  return lines.join('\n');
}
