/**
 * `offline.js --plot FILE`: the picture for each verifier. The run's own
 * verifier is drawn from its result; the other one is evaluated on the same
 * pairs (skipped, with a line on stderr, where its model cannot be loaded).
 * A verifier without --sweep gets its default sweep, so there is a curve.
 */
import fs from 'node:fs';
import type { VerifierKind } from '../../cache/l3/select';
import { DEFAULT_MODEL_SWEEP, DEFAULT_SWEEP, gatewayDataDir } from './args';
import { keepLastCurve } from '../dashboard/lastCurve';
import type { OfflineOptions, OfflineResult } from './offlineResult';
import { precisionRecallSvg, type Curve } from './plot';

const KINDS: VerifierKind[] = ['guards', 'model'];

/** The model's curve is over p(duplicate), the guards' over the cosine threshold. */
export const defaultSweep = (kind: VerifierKind): number[] => (kind === 'model' ? DEFAULT_MODEL_SWEEP : DEFAULT_SWEEP);

/** Options for the other verifier's run: the same pairs, its own sweep. */
function sweptOptions(opts: OfflineOptions, kind: VerifierKind): OfflineOptions {
  return { ...opts, verifier: kind, sweep: defaultSweep(kind), showFalsePositives: 0 };
}

/** One curve per verifier (per cosine floor for the model), the operating point on the curve it belongs to. */
export function curvesOf(r: OfflineResult): Curve[] {
  const floors = [...new Set(r.sweep.map((s) => s.floor))];
  return floors.map((floor) => ({
    label: r.verifier === 'model' ? `model: p(duplicate), cosine floor ${floor}` : 'guards: cosine threshold',
    points: r.sweep.filter((s) => s.floor === floor).map((s) => ({ threshold: s.threshold, precision: s.scores.precision, recall: s.scores.recall })),
    ...(floor === r.floor ? { operating: { threshold: r.threshold, precision: r.scores.precision, recall: r.scores.recall } } : {}),
  }));
}

export async function plotOffline(
  opts: OfflineOptions,
  own: OfflineResult,
  file: string,
  run: (o: OfflineOptions) => Promise<OfflineResult>,
  log: (line: string) => void,
): Promise<void> {
  const results = [own];
  for (const kind of KINDS.filter((k) => k !== own.verifier)) {
    try {
      results.push(await run(sweptOptions(opts, kind)));
    } catch (err) {
      log(`plot: the ${kind} verifier is left out: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const curves = results.sort((a, b) => KINDS.indexOf(a.verifier) - KINDS.indexOf(b.verifier)).flatMap(curvesOf);
  const svg = precisionRecallSvg(curves, `Reflex hit quality: ${own.scores.pairs} pairs (${opts.protocol}), offline`);
  fs.writeFileSync(file, svg);
  await keepLastCurve(gatewayDataDir(), svg);
}
