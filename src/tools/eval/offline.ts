/**
 * Offline semantic-hit eval: the gateway's own L2/L3 code (SemanticLookup
 * over the in-memory VectorIndex, the configured verifier) on labelled pairs,
 * with entries held in a Map instead of entry files, fast enough to sweep
 * thresholds over thousands of pairs. L1 is the same exact-key lookup.
 *
 *   node dist/tools/eval/offline.js --pairs FILE [--limit N] [--offset N] [--seed 42]
 *        [--protocol isolated|corpus] [--threshold T] [--guards a,b|none] [--sweep]
 */
import { cacheIdentity } from '../../cache/keys/cacheKey';
import { TransformersEmbedder } from '../../cache/embedding/embedder';
import { EntrySource, SemanticHit, SemanticLookup, SemanticQuery } from '../../cache/l2/semanticLookup';
import { createVerifier, DEFAULT_SIMILARITY_THRESHOLD, GuardedVerifier } from '../../cache/l3/guardedVerifier';
import type { Entry } from '../../cache/storage/entry';
import { MemoryIndex } from '../../vectordb/memory';
import { indexRecordOf } from '../../vectordb/record';
import { chatMessages, loadPairs, sample, withoutCrossExactRepeats, type Pair } from './pairs';
import { formatScores, formatSweep, score, type Outcome, type Scores } from './metrics';
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

/** What L1 and L2 found for one pair, before L3 is applied at a threshold. */
interface Trace {
  pair: Pair;
  ownKey: string;
  /** The entry L1 would serve (same cache key), if any: served without L3. */
  exactKey?: string;
  query: SemanticQuery;
  ranked: SemanticHit[];
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

const MODEL = 'eval-model';

function identity(text: string, system?: string, history?: Pair['history_a']) {
  return cacheIdentity({ model: MODEL, messages: chatMessages(text, system, history) });
}

/** The gateway's decision at one threshold: L1, else the first ranked candidate L3 accepts. */
function decide(t: Trace, lookup: SemanticLookup, threshold: number): { outcome: Outcome; hit?: SemanticHit } {
  const hit = t.exactKey === undefined ? lookup.choose({ ...t.query, threshold }, t.ranked) : undefined;
  const served = t.exactKey ?? hit?.entry.key;
  const kind = t.pair.kind ?? (t.pair.label ? 'duplicate' : 'non_duplicate');
  return { outcome: { label: t.pair.label, kind, served: served === undefined ? 'miss' : served === t.ownKey ? 'own' : 'other' }, hit };
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
  // One lookup chooses for every trace: choose() uses only the verifier, never the index.
  const { traces, lookup } = await trace(pairs, vectors, verifier, opts);
  const outcomesAt = (t: number) => traces.map((tr) => decide(tr, lookup, t).outcome);
  return {
    threshold,
    scores: score(outcomesAt(threshold)),
    sweep: (opts.sweep ?? []).map((t) => ({ threshold: t, scores: score(outcomesAt(t)) })),
    embedMsPerText,
    verifyUsPerCandidate: guardMicros(traces, verifier),
    falsePositives: falsePositives(traces, lookup, threshold).slice(0, opts.showFalsePositives ?? 0),
  };
}

function falsePositives(traces: Trace[], lookup: SemanticLookup, threshold: number): FalsePositive[] {
  return traces.flatMap((t) => {
    const { outcome: o, hit } = decide(t, lookup, threshold);
    if (o.served === 'miss' || (o.served === 'own' && t.pair.label === 1)) return [];
    const served = hit?.entry.semanticText ?? (o.served === 'own' ? t.pair.a : t.pair.b);
    return [{ asked: t.pair.b, served, own: t.pair.a, label: t.pair.label, similarity: hit?.similarity }];
  });
}

/** What L3's guards cost per candidate (each ranked candidate checked as if it cleared the floor). */
function guardMicros(traces: Trace[], verifier: GuardedVerifier): number {
  let ns = 0;
  let checked = 0;
  for (const t of traces) {
    for (const c of t.ranked) {
      const start = process.hrtime.bigint();
      verifier.verify(t.query.text, { text: c.entry.semanticText, similarity: 1, threshold: 0 });
      ns += Number(process.hrtime.bigint() - start);
      checked++;
    }
  }
  return checked === 0 ? 0 : ns / checked / 1000;
}

/**
 * Stores each pair's `a` as an entry (isolated: alone in a tenant and index
 * of its own; corpus: all in one, so each `b` meets every `a`), then asks
 * each `b` through L1 (the cache key) and SemanticLookup.rank, the code that serves.
 */
async function trace(
  pairs: Pair[],
  vectors: Map<string, Float32Array>,
  verifier: GuardedVerifier,
  opts: OfflineOptions,
): Promise<{ traces: Trace[]; lookup: SemanticLookup }> {
  const entries = new Map<string, Entry>();
  const source: EntrySource = { load: async (tenant, key) => entries.get(`${tenant}/${key}`) };
  const options = { candidates: opts.candidates ?? 16, topK: opts.topK ?? 4 };
  const corpus = { index: new MemoryIndex(), tenant: 'corpus' };
  const caches = pairs.map((_, i) => (opts.protocol === 'isolated' ? { index: new MemoryIndex(), tenant: `pair${i}` } : corpus));
  // Every `a` is stored before any `b` is asked (in the corpus protocol each `b` meets them all).
  for (const [i, pair] of pairs.entries()) {
    const { index, tenant } = caches[i]!;
    const id = identity(pair.a, pair.system_a, pair.history_a);
    if (entries.has(`${tenant}/${id.key}`)) continue; // the same request again: the gateway keeps one entry
    const entry: Entry = {
      version: 1, tenant, key: id.key, context: id.context, model: MODEL, createdAt: 0,
      semanticText: id.semanticText, embedding: Array.from(vectors.get(pair.a)!), response: {},
    };
    entries.set(`${tenant}/${id.key}`, entry);
    await index.upsert([indexRecordOf(entry)]);
  }
  const traces: Trace[] = [];
  for (const [i, pair] of pairs.entries()) {
    const { index, tenant } = caches[i]!;
    const own = identity(pair.a, pair.system_a, pair.history_a);
    const q = identity(pair.b, pair.system_b, pair.history_b);
    const query: SemanticQuery = { tenant, context: q.context, text: q.semanticText, embedding: vectors.get(pair.b)! };
    const ranked = await new SemanticLookup(index, source, verifier, options).rank(query);
    traces.push({ pair, ownKey: own.key, exactKey: entries.has(`${tenant}/${q.key}`) ? q.key : undefined, query, ranked });
  }
  return { traces, lookup: new SemanticLookup(corpus.index, source, verifier, options) };
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
