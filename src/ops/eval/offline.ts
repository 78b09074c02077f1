/**
 * Offline semantic-hit eval: the gateway's own L2/L3 code (SemanticLookup
 * over the in-memory VectorIndex, the configured verifier) on labelled pairs,
 * with entries held in a Map instead of entry files, fast enough to sweep
 * thresholds over thousands of pairs. L1 is the same exact-key lookup.
 *
 *   node dist/ops/eval/offline.js --pairs FILE [--split tune|eval --splits splits.json]
 *        [--limit N] [--offset N] [--seed 42] [--protocol isolated|corpus]
 *        [--verifier model|guards] [--threshold T] [--guards a,b|none] [--sweep LIST]
 *        [--model-threshold P] [--model-floor C] [--sweep-floors LIST] [--plot FILE.svg]
 *
 * With --verifier guards, --threshold and --sweep are cosine floors; with
 * --verifier model they are the cross-encoder's p(duplicate) thresholds, at
 * each cosine shortlist floor of --sweep-floors (default: --model-floor).
 * --plot draws every verifier's curve on the same pairs (see offlinePlot.ts).
 */
import { cacheIdentity } from '../../cache/keys/cacheKey';
import { OnnxEmbedder } from '../../cache/embedding/onnxEmbedder';
import { EntrySource, SemanticHit, SemanticLookup, SemanticQuery } from '../../cache/l2/semanticLookup';
import { TextComparison } from '../../cache/l3/compare';
import { createVerifier, GuardedVerifier } from '../../cache/l3/guardedVerifier';
import { CrossEncoder, type PairScorer } from '../../cache/l3/crossEncoder';
import { DEFAULT_GUARDS, guardsByName } from '../../cache/l3/guards';
import { ModelVerifier } from '../../cache/l3/modelVerifier';
import type { Verifier } from '../../cache/l3/verifier';
import type { Entry } from '../../cache/storage/entry';
import { MemoryIndex } from '../../cache/vectordb/memory';
import { indexRecordOf } from '../../cache/vectordb/record';
import { chatMessages, loadPairs, loadSplit, sample, withoutCrossExactRepeats, type Pair } from './pairs';
import { formatScores, formatSweep, score, type Outcome } from './metrics';
import { parseOfflineArgs } from './args';
import { defaultSweep, plotOffline } from './offlinePlot';
import { readVectors, writeVectors } from './vectors';
import type { FalsePositive, OfflineOptions, OfflineResult } from './offlineResult';

export type { FalsePositive, OfflineOptions, OfflineResult } from './offlineResult';


/** What L1 and L2 found for one pair, before L3 is applied at a threshold. */
interface Trace {
  pair: Pair;
  ownKey: string;
  /** The entry L1 would serve (same cache key), if any: served without L3. */
  exactKey?: string;
  query: SemanticQuery;
  ranked: SemanticHit[];
}



const MODEL = 'eval-model';
/** Every vector of one eval comes from one model (a vectors cache is per model too). */
const MODEL_ID = 'eval-embedder';

function identity(text: string, system?: string, history?: Pair['history_a']) {
  return cacheIdentity({ model: MODEL, messages: chatMessages(text, system, history) });
}

/** The gateway's decision with one verifier: L1, else the first ranked candidate L3 accepts. */
async function decide(t: Trace, lookup: SemanticLookup, verifier: Verifier): Promise<{ outcome: Outcome; hit?: SemanticHit }> {
  const hit = t.exactKey === undefined ? await lookup.choose(t.query, t.ranked, verifier) : undefined;
  const served = t.exactKey ?? hit?.entry.key;
  const kind = t.pair.kind ?? (t.pair.label ? 'duplicate' : 'non_duplicate');
  return { outcome: { label: t.pair.label, kind, served: served === undefined ? 'miss' : served === t.ownKey ? 'own' : 'other' }, hit };
}

/** Memoises the cross-encoder per (query, candidate), so a sweep runs it once per pair, and times the runs. */
class TimedScorer implements PairScorer {
  private readonly memo = new Map<string, Promise<number>>();
  ms = 0;
  constructor(private readonly inner: PairScorer) {}
  get runs(): number {
    return this.memo.size;
  }
  score(a: string, b: string): Promise<number> {
    const key = `${a}\u0000${b}`;
    let p = this.memo.get(key);
    if (!p) {
      const started = performance.now();
      p = this.inner.score(a, b).then((v) => ((this.ms += performance.now() - started), v));
      this.memo.set(key, p);
    }
    return p;
  }
}

export async function runOfflineEval(opts: OfflineOptions): Promise<OfflineResult> {
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const all = loadPairs(opts.pairs);
  const chosen = opts.split ? loadSplit(opts.split.file, opts.split.name).map((i) => all[i]!) : all;
  if (opts.split) log(`split ${opts.split.name}: ${chosen.length} of ${all.length} pairs`);
  const sampled = sample(chosen, { seed: opts.seed ?? 42, offset: opts.offset ?? 0, limit: opts.limit });
  const pairs = opts.protocol === 'corpus' ? withoutCrossExactRepeats(sampled) : sampled;
  if (pairs.length < sampled.length) log(`corpus: left out ${sampled.length - pairs.length} pairs whose b is another pair's a verbatim (an L1 exact hit)`);
  const embedder = await OnnxEmbedder.load(opts.modelPath, opts.modelName);
  const vectors = readVectors(opts.embeddingsCache);
  const cached = vectors.size;
  const t0 = performance.now();
  let embedded = 0;
  for (const p of pairs) {
    for (const text of [p.a, p.b]) if (!vectors.has(text)) (vectors.set(text, await embedder.embed(text)), embedded++);
    if (embedded % 1000 === 999) log(`embedded ${embedded + 1} texts`);
  }
  const embedMsPerText = (performance.now() - t0) / Math.max(1, embedded);
  if (opts.embeddingsCache && vectors.size > cached) writeVectors(opts.embeddingsCache, vectors);
  const kind = opts.verifier ?? 'guards';
  const guarded = createVerifier({ threshold: opts.threshold, guards: opts.guards });
  const scorer = kind === 'model' ? new TimedScorer(opts.scorer ?? (await CrossEncoder.load(opts.verifierModelPath))) : undefined;
  const guards = guardsByName(opts.guards ?? DEFAULT_GUARDS);
  const at = (threshold: number, floor: number): Verifier =>
    scorer ? new ModelVerifier(floor, threshold, guards, scorer, opts.threshold) : createVerifier({ threshold, guards: opts.guards });
  // One lookup chooses for every trace: choose() uses only the verifier, never the index.
  const { traces, lookup } = await trace(pairs, vectors, guarded, new TextComparison(embedder, kind === 'model'), opts);
  const outcomesWith = async (v: Verifier) => {
    const out: Outcome[] = [];
    for (const [i, tr] of traces.entries()) {
      out.push((await decide(tr, lookup, v)).outcome);
      if (scorer && i % 1000 === 999) log(`verified ${i + 1}/${traces.length} (model runs ${scorer.runs})`);
    }
    return out;
  };
  const threshold = kind === 'model' ? opts.modelThreshold : opts.threshold;
  const main = at(threshold, opts.modelFloor);
  const scores = score(await outcomesWith(main));
  const sweep: OfflineResult['sweep'] = [];
  for (const floor of kind === 'model' ? (opts.sweepFloors ?? [opts.modelFloor]) : [undefined]) {
    for (const t of opts.sweep ?? []) sweep.push({ threshold: t, floor, scores: score(await outcomesWith(at(t, floor ?? opts.modelFloor))) });
  }
  return {
    verifier: kind,
    threshold,
    floor: kind === 'model' ? opts.modelFloor : undefined,
    scores,
    sweep,
    embedMsPerText,
    verifyUsPerCandidate: guardMicros(traces, guarded),
    modelMsPerPair: scorer && scorer.runs ? scorer.ms / scorer.runs : undefined,
    modelRuns: scorer?.runs,
    falsePositives: (await falsePositives(traces, lookup, main)).slice(0, opts.showFalsePositives ?? 0),
  };
}

async function falsePositives(traces: Trace[], lookup: SemanticLookup, verifier: Verifier): Promise<FalsePositive[]> {
  const out: FalsePositive[] = [];
  for (const t of traces) {
    const { outcome: o, hit } = await decide(t, lookup, verifier);
    if (o.served === 'miss' || (o.served === 'own' && t.pair.label === 1)) continue;
    const served = hit?.entry.semanticText ?? (o.served === 'own' ? t.pair.a : t.pair.b);
    out.push({ asked: t.pair.b, served, own: t.pair.a, label: t.pair.label, similarity: hit?.similarity });
  }
  return out;
}

/** What L3's guards cost per candidate (each ranked candidate checked as if it cleared the floor). */
function guardMicros(traces: Trace[], verifier: GuardedVerifier): number {
  let ns = 0;
  let checked = 0;
  for (const t of traces) {
    for (const c of t.ranked) {
      const start = process.hrtime.bigint();
      verifier.verifyNow(t.query.text, { text: c.entry.semanticText, similarity: 1, threshold: 0 });
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
  comparison: TextComparison,
  opts: OfflineOptions,
): Promise<{ traces: Trace[]; lookup: SemanticLookup }> {
  const entries = new Map<string, Entry>();
  const source: EntrySource = { load: async (tenant, key) => entries.get(`${tenant}/${key}`) };
  const options = { candidates: opts.candidates ?? 16, topK: opts.topK ?? 4, embedder: MODEL_ID };
  const corpus = { index: new MemoryIndex(), tenant: 'corpus' };
  const caches = pairs.map((_, i) => (opts.protocol === 'isolated' ? { index: new MemoryIndex(), tenant: `pair${i}` } : corpus));
  // Every `a` is stored before any `b` is asked (in the corpus protocol each `b` meets them all).
  for (const [i, pair] of pairs.entries()) {
    const { index, tenant } = caches[i]!;
    const id = identity(pair.a, pair.system_a, pair.history_a);
    if (entries.has(`${tenant}/${id.key}`)) continue; // the same request again: the gateway keeps one entry
    const entry: Entry = {
      version: 1, tenant, key: id.key, context: id.context, model: MODEL, createdAt: 0,
      semanticText: id.semanticText, embedding: Array.from(vectors.get(pair.a)!), embedder: MODEL_ID, response: {},
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
    const ranked = await new SemanticLookup(index, source, verifier, comparison, options).rank(query);
    traces.push({ pair, ownKey: own.key, exactKey: entries.has(`${tenant}/${q.key}`) ? q.key : undefined, query, ranked });
  }
  return { traces, lookup: new SemanticLookup(corpus.index, source, verifier, comparison, options) };
}

export function formatOffline(r: OfflineResult): string {
  const model = r.modelMsPerPair === undefined ? '' : `, cross-encoder ${r.modelMsPerPair.toFixed(1)} ms/pair (${r.modelRuns} runs)`;
  return [
    r.verifier === 'model' ? `verifier model  threshold ${r.threshold}  cosine floor ${r.floor}` : `verifier guards  threshold ${r.threshold}`,
    formatScores(r.scores),
    `embedding ${r.embedMsPerText.toFixed(1)} ms/text, guards ${r.verifyUsPerCandidate.toFixed(1)} µs/candidate${model}`,
    ...r.falsePositives.map((f) => `FP sim=${f.similarity?.toFixed(3) ?? 'exact'} label=${f.label} | asked: ${f.asked} | served: ${f.served} | own: ${f.own}`),
    ...(r.sweep.length ? ['', formatSweep(r.sweep)] : []),
  ].join('\n');
}

async function main(): Promise<void> {
  const parsed = parseOfflineArgs(process.argv.slice(2));
  const args = parsed.plot && !parsed.sweep ? { ...parsed, sweep: defaultSweep(parsed.verifier) } : parsed;
  const result = await runOfflineEval(args);
  if (parsed.plot) await plotOffline(args, result, parsed.plot, runOfflineEval, (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(args.json ? JSON.stringify(result, null, 2) + '\n' : formatOffline(result) + '\n');
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
