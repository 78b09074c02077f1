/** `--plot`: the precision/recall picture of an eval, as SVG written by src/ops/eval/plot.ts. */
import { gatewayCurve, type GatewayEvalResult } from '../../src/ops/eval/gateway';
import { score, type Scores } from '../../src/ops/eval/metrics';
import { curvesOf } from '../../src/ops/eval/offlinePlot';
import type { OfflineResult } from '../../src/ops/eval/offline';
import { precisionRecallSvg, ticks, type Curve } from '../../src/ops/eval/plot';

const polyline = (svg: string, cls: string, nth = 0) =>
  [...svg.matchAll(new RegExp(`<polyline class="${cls}" points="([^"]*)"`, 'g'))][nth]![1]!.split(' ').map((p) => p.split(',').map(Number) as [number, number]);
const count = (svg: string, re: RegExp) => (svg.match(re) ?? []).length;

/** Tags open and close in order, every attribute quoted: what an SVG viewer needs to parse it. */
function wellFormed(svg: string): boolean {
  const stack: string[] = [];
  for (const [tag] of svg.matchAll(/<[^>]+>/g)) {
    if (!/^<\/?[a-z]+(\s+[a-zA-Z0-9:-]+="[^"<]*")*\s*\/?>$/.test(tag)) return false;
    const name = /^<\/?([a-z]+)/.exec(tag)![1]!;
    if (tag.startsWith('</')) {
      if (stack.pop() !== name) return false;
    } else if (!tag.endsWith('/>')) stack.push(name);
  }
  return stack.length === 0;
}

const curve: Curve = {
  label: 'guards',
  points: [
    { threshold: 0.9, precision: 0.5, recall: 1 },
    { threshold: 0.8, precision: 1, recall: 0.5 },
    { threshold: 0.85, precision: NaN, recall: 0.7 },
  ],
  operating: { threshold: 0.87, precision: 0.8, recall: 0.6 },
};

test('the curves follow the data: thresholds left to right, higher values higher up; non-finite points left out', () => {
  const svg = precisionRecallSvg([curve], 'quality');
  const precision = polyline(svg, 'precision');
  const recall = polyline(svg, 'recall');
  expect(precision).toHaveLength(2);
  expect(precision[0]![0]).toBeLessThan(precision[1]![0]); // 0.8 left of 0.9
  expect(precision[0]![1]).toBeLessThan(precision[1]![1]); // 1.0 above 0.5
  expect(recall[0]![1]).toBeGreaterThan(recall[1]![1]); // 0.5 below 1.0
  // The precision/recall curve: recall on x from 0 to 1, so recall 1 is further right than recall 0.5.
  const pr = polyline(svg, 'curve');
  expect(pr[1]![0]).toBeGreaterThan(pr[0]![0]);
  expect(wellFormed(svg)).toBe(true);
});

test('the operating point is marked on both panels where its threshold is known, on the curve panel only where not', () => {
  const known = precisionRecallSvg([curve], 'q');
  expect(count(known, /<circle class="operating"/g)).toBe(3);
  expect(count(known, /<line class="operating"/g)).toBe(1);
  expect(known).toContain('operating point: P 0.800 R 0.600');
  const unknown = precisionRecallSvg([{ ...curve, operating: { precision: 0.8, recall: 0.6 } }], 'q');
  expect(count(unknown, /<circle class="operating"/g)).toBe(1);
  expect(count(unknown, /<line class="operating"/g)).toBe(0);
});

test('one row per verifier, text escaped', () => {
  const svg = precisionRecallSvg([curve, { label: 'model <b>&"x"', points: curve.points }], 'a < b');
  expect(count(svg, /<g class="verifier"/g)).toBe(2);
  expect(svg).not.toContain('<b>');
  expect(svg).toContain('model &#60;b&#62;&#38;&#34;x&#34;');
  expect(wellFormed(svg)).toBe(true);
});

test('axis ticks are round numbers inside the range', () => {
  expect(ticks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  expect(ticks(0.685, 0.995)).toEqual([0.7, 0.8, 0.9]);
  expect(ticks(0.79, 0.91)).toEqual([0.8, 0.85, 0.9]);
  expect(ticks(0.27, 0.98)).toEqual([0.4, 0.6, 0.8]);
});

const scores = (tp: number, fp: number, positives: number): Scores =>
  score([
    ...Array.from({ length: tp }, () => ({ label: 1 as const, kind: 'd', served: 'own' as const })),
    ...Array.from({ length: positives - tp }, () => ({ label: 1 as const, kind: 'd', served: 'miss' as const })),
    ...Array.from({ length: fp }, () => ({ label: 0 as const, kind: 'n', served: 'own' as const })),
  ]);

test('offline: the model gets a curve per cosine floor, the operating point only on its own floor', () => {
  const result = {
    verifier: 'model', threshold: 0.9, floor: 0.8, scores: scores(3, 1, 4),
    sweep: [0.8, 0.9].flatMap((floor) => [0.5, 0.9].map((threshold) => ({ threshold, floor, scores: scores(threshold === 0.5 ? 4 : 3, 1, 4) }))),
  } as OfflineResult;
  const curves = curvesOf(result);
  expect(curves.map((c) => c.label)).toEqual(['model: p(duplicate), cosine floor 0.8', 'model: p(duplicate), cosine floor 0.9']);
  expect(curves[0]!.operating).toEqual({ threshold: 0.9, precision: 0.75, recall: 0.75 });
  expect(curves[1]!.operating).toBeUndefined();
  expect(curves[0]!.points).toEqual([{ threshold: 0.5, precision: 0.8, recall: 1 }, { threshold: 0.9, precision: 0.75, recall: 0.75 }]);
});

test('gateway: the X-Reflex-Threshold sweep is the curve, the plain run the operating point', () => {
  const r = { verifier: 'guards', scores: scores(1, 0, 2), sweep: [{ threshold: 0.8, scores: scores(2, 1, 2) }] } as GatewayEvalResult;
  expect(gatewayCurve(r)).toEqual({
    label: 'gateway (guards verifier), X-Reflex-Threshold',
    points: [{ threshold: 0.8, precision: 2 / 3, recall: 1 }],
    operating: { precision: 1, recall: 0.5 },
  });
});
