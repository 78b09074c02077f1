/**
 * Offline semantic-hit eval: the gateway's L1/L2/L3 decision reproduced
 * in-process (same embedder, sign-bit shortlist, cosine rescoring, verifier),
 * fast enough to sweep thresholds over thousands of labelled pairs.
 *
 *   node dist/tools/eval/offline.js --pairs FILE [--limit N] [--offset N] [--seed 42]
 *        [--protocol isolated|corpus] [--threshold T] [--guards a,b|none] [--sweep]
 */
import { cacheIdentity } from '../../cache/keys/cacheKey';
import { TransformersEmbedder } from '../../cache/embedding/embedder';
import { createVerifier, DEFAULT_SIMILARITY_THRESHOLD } from '../../cache/l3/guardedVerifier';
import { chatMessages, loadPairs, sample, withoutCrossExactRepeats, type Pair } from './pairs';
import { formatScores, formatSweep, score, type Outcome, type Scores } from './metrics';
import { SemanticIndex } from './semanticIndex';
import { parseOfflineArgs, type Protocol } from './args';

export interface OfflineOptions {
  pairs: string;
  protocol: Protocol;
  limit?: number;
  offset?: number;
  seed?: number;
  threshold?: number;
  guards?: string[];
  candidates?: number;
  topK?: number;
  modelPath: string;
  modelName: string;
  sweep?: number[];
  /** How many false positives to list in the result (default 0). */
  showFalsePositives?: number;
  log?: (line: string) => void;
}

/** What L1/L2 found for one pair, before the threshold is applied; L3's guard vetoes are precomputed. */
interface Trace {
  pair: Pair;
  ownId: number;
  exactId?: number;
  ranked: Array<{ id: number; text: string; similarity: number; veto?: string }>;
}

/** A false positive at the chosen threshold, for reading what went wrong. */
export interface FalsePositive {
  asked: string;
  served: string;
  own: string;
  label: 0 | 1;
  similarity?: number;
}

export interface OfflineResult {
  threshold: number;
  scores: Scores;
  sweep: Array<{ threshold: number; scores: Scores }>;
  embedMsPerText: number;
  verifyUsPerCandidate: number;
  falsePositives: FalsePositive[];
}

function identity(text: string, system?: string, history?: Pair['history_a']) {
  return cacheIdentity({ model: 'eval-model', messages: chatMessages(text, system, history) });
}

function decide(t: Trace, threshold: number): Outcome {
  const served = t.exactId ?? t.ranked.find((c) => c.similarity >= threshold && !c.veto)?.id;
  const kind = t.pair.kind ?? (t.pair.label ? 'duplicate' : 'non_duplicate');
  return { label: t.pair.label, kind, served: served === undefined ? 'miss' : served === t.ownId ? 'own' : 'other' };
}

export async function runOfflineEval(opts: OfflineOptions): Promise<OfflineResult> {
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const sampled = sample(loadPairs(opts.pairs), { seed: opts.seed ?? 42, offset: opts.offset ?? 0, limit: opts.limit });
  const pairs = opts.protocol === 'corpus' ? withoutCrossExactRepeats(sampled) : sampled;
  if (pairs.length < sampled.length) log(`corpus: left out ${sampled.length - pairs.length} pairs whose b is another pair's a verbatim (an L1 exact hit)`);
  const embedder = await TransformersEmbedder.load(opts.modelPath, opts.modelName);
  const vectors = new Map<string, Float32Array>();
  const t0 = performance.now();
  for (const p of pairs) {
    for (const text of [p.a, p.b]) if (!vectors.has(text)) vectors.set(text, await embedder.embed(text));
    if (vectors.size % 1000 < 2) log(`embedded ${vectors.size} texts`);
  }
  const embedMsPerText = (performance.now() - t0) / Math.max(1, vectors.size);
  const threshold = opts.threshold ?? DEFAULT_SIMILARITY_THRESHOLD;
  const verifier = createVerifier({ threshold, guards: opts.guards });
  const { traces, verifyUs } = trace(pairs, vectors, verifier, opts);
  const outcomesAt = (t: number) => traces.map((tr) => decide(tr, t));
  return {
    threshold,
    scores: score(outcomesAt(threshold)),
    sweep: (opts.sweep ?? []).map((t) => ({ threshold: t, scores: score(outcomesAt(t)) })),
    embedMsPerText,
    verifyUsPerCandidate: verifyUs,
    falsePositives: falsePositives(traces, threshold).slice(0, opts.showFalsePositives ?? 0),
  };
}

function falsePositives(traces: Trace[], threshold: number): FalsePositive[] {
  return traces.flatMap((t) => {
    const o = decide(t, threshold);
    if (o.served === 'miss' || (o.served === 'own' && t.pair.label === 1)) return [];
    const hit = t.exactId === undefined ? t.ranked.find((c) => c.similarity >= threshold && !c.veto) : undefined;
    const served = hit?.text ?? (o.served === 'own' ? t.pair.a : t.pair.b);
    return [{ asked: t.pair.b, served, own: t.pair.a, label: t.pair.label, similarity: hit?.similarity }];
  });
}

function trace(
  pairs: Pair[],
  vectors: Map<string, Float32Array>,
  verifier: ReturnType<typeof createVerifier>,
  opts: OfflineOptions,
): { traces: Trace[]; verifyUs: number } {
  let index = new SemanticIndex();
  // Corpus: every `a` is stored first, in one tenant, so each `b` meets all of them.
  const owners = pairs.map((p) => {
    if (opts.protocol === 'isolated') index = new SemanticIndex();
    const id = identity(p.a, p.system_a, p.history_a);
    return { index, entry: index.add(id.context, id.semanticText, vectors.get(p.a)!) };
  });
  let verifyNs = 0;
  let verified = 0;
  const traces = pairs.map((pair, i) => {
    const { index: idx, entry: own } = owners[i]!;
    const q = identity(pair.b, pair.system_b, pair.history_b);
    const exactId = idx.exact(q.context, q.semanticText)?.id;
    const ranked = idx.search(q.context, vectors.get(pair.b)!, opts.candidates ?? 16, opts.topK ?? 4).map((c) => {
      const start = process.hrtime.bigint();
      const veto = verifier.firstConflict(q.semanticText, c.entry.text);
      verifyNs += Number(process.hrtime.bigint() - start);
      verified++;
      return { id: c.entry.id, text: c.entry.text, similarity: c.similarity, veto };
    });
    return { pair, ownId: own.id, exactId, ranked };
  });
  return { traces, verifyUs: verified === 0 ? 0 : verifyNs / verified / 1000 };
}

export function formatOffline(r: OfflineResult): string {
  return [
    `threshold ${r.threshold}`,
    formatScores(r.scores),
    `embedding ${r.embedMsPerText.toFixed(1)} ms/text, verifier ${r.verifyUsPerCandidate.toFixed(1)} µs/candidate`,
    ...r.falsePositives.map((f) => `FP sim=${f.similarity?.toFixed(3) ?? 'exact'} label=${f.label} | asked: ${f.asked} | served: ${f.served} | own: ${f.own}`),
    ...(r.sweep.length ? ['', formatSweep(r.sweep)] : []),
  ].join('\n');
}

async function main(): Promise<void> {
  const args = parseOfflineArgs(process.argv.slice(2));
  const result = await runOfflineEval(args);
  process.stdout.write(args.json ? JSON.stringify(result, null, 2) + '\n' : formatOffline(result) + '\n');
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
