/**
 * The error budget on a labelled stream, offline (issue 28):
 *   node dist-bench/bench/budgetSim.js --pairs qqp-dev.jsonl.gz [--split tune] [--delta 0.02]
 *     [--base 0.9] [--audit-rate 0.05] [--stream 6000] [--warmup 1500] [--seeds 20] [--embeddings-cache F]
 *     [--kind zipf|pairs] [--zipf 1.1] [--negatives 0.3]
 * One tenant's stream of questions. `pairs`: each labelled pair's `a`, then
 * its `b` a little later, all pairs interleaved. `zipf` (the harness stream):
 * units drawn with Zipf popularity — an equivalence class of two or more
 * questions (a member at random: right hits are possible), or with share
 * --negatives a hard negative, a label-0 pair of two classes (either side:
 * wrong hits are possible) — so popular classes repeat and a floor has both
 * right and wrong hits to choose between. Through the gateway's own
 * L2/L3 code (SemanticLookup over the in-memory index, the real embedding
 * model, the guards verifier at --base: a floor that over-serves). A question
 * answers another exactly when both are in one equivalence class of the
 * labelled duplicates (equivalence.ts), so every wrong hit is known.
 *
 * Two policies, each hit audited with probability --audit-rate (a wrong one
 * repaired), the gateway's two starts (REFLEX_BUDGET_START). `live`: open
 * (budgetFloor over audited hits only). `learned`: strict (learnedFloor over
 * audits and free judgements: each candidate the floor refused, judged
 * against the miss's fresh answer). `repeats`, a study and no gateway mode:
 * learned, and each exact repeat of a question stored after its candidate was
 * refused counts that judgement again (served hits are per request, free
 * judgements per distinct question). Reported
 * per seed: semantic hits served after --warmup and how many were wrong, the
 * audits' estimate and its 95% upper bound (does it cover the true rate?), and
 * the best fixed floor on the same stream (the most hits with a true wrong
 * rate ≤ δ after warm-up), and what each paid: provider calls after warm-up
 * (misses and audits). A semantic hit refused is a miss, but its question is
 * then stored, so its repeats are exact hits: the calls show what a strict
 * floor costs where the hit counts alone do not.
 */
import { cacheIdentity } from '../src/cache/keys/cacheKey';
import { budgetFloor, learnedFloor, CLOSED, type Judged } from '../src/cache/l3/budget/learnedFloor';
import { wilsonUpper } from '../src/cache/l3/budget/wilson';
import { TextComparison } from '../src/cache/l3/compare';
import { createVerifier } from '../src/cache/l3/guardedVerifier';
import { EntrySource, SemanticLookup } from '../src/cache/l2/semanticLookup';
import { OnnxEmbedder } from '../src/cache/embedding/onnxEmbedder';
import type { Entry } from '../src/cache/storage/entry';
import { MemoryIndex } from '../src/cache/vectordb/memory';
import { indexRecordOf } from '../src/cache/vectordb/record';
import { loadPairs, loadSplit, prng, type Pair } from '../src/ops/eval/pairs';
import { readVectors, writeVectors } from '../src/ops/eval/vectors';
import { Equivalence } from './equivalence';
import { parseArgs } from 'node:util';

const MODEL = 'sim-model';
const EMBEDDER = 'sim-embedder';

interface Options {
  pairs: string;
  split?: string;
  splits: string;
  delta: number;
  base: number;
  auditRate: number;
  stream: number;
  warmup: number;
  seeds: number;
  embeddingsCache?: string;
  modelPath: string;
  modelName: string;
  kind: 'zipf' | 'pairs';
  zipf: number;
  negatives: number;
  /** Candidates the floor refused are judged for free (the learned policy); off: audits only (the live one). */
  free: boolean;
  /**
   * An exact repeat of a question whose entry was stored after its candidate
   * was refused counts that judgement again (the `repeats` policy, a study):
   * served traffic is per request, free judgements are per distinct question.
   */
  repeats?: boolean;
}

/** What one decision needs: the best candidate the base verifier accepts, if any. */
type Decide = (q: string) => Promise<{ entry: Entry; similarity: number } | undefined>;

interface RunResult {
  served: number;
  wrong: number;
  audits: number;
  auditedWrong: number;
  upper: number;
  judged: number;
  /** Of those, how many were wrong. */
  judgedWrong: number;
  floor: number;
  /** Provider calls after warm-up: misses and audits (what the stream paid for). */
  calls: number;
}

/** a, then its b a little later, every pair interleaved; `count` questions. */
function streamOf(pairs: readonly Pair[], count: number, seed: number): string[] {
  const random = prng(seed);
  const events: Array<{ at: number; q: string }> = [];
  for (let i = 0; events.length < count && i < pairs.length * 4; i++) {
    const p = pairs[Math.floor(random() * pairs.length)]!;
    const at = random();
    events.push({ at, q: p.a }, { at: at + random() * 0.2, q: p.b });
  }
  return events.sort((x, y) => x.at - y.at).slice(0, count).map((e) => e.q);
}

/**
 * The harness stream: Zipf over units (rank r drawn ∝ 1/r^s, ranks shuffled
 * per seed). A unit is a class of ≥ 2 labelled duplicates or, with share
 * `negatives`, a label-0 pair across two classes; each draw asks one of its
 * questions at random.
 */
function zipfStream(pairs: readonly Pair[], eq: Equivalence, opts: Options, seed: number): string[] {
  const random = prng(seed);
  const members = new Map<string, Set<string>>();
  for (const p of pairs) if (p.label === 1) for (const q of [p.a, p.b]) (members.get(eq.find(q)) ?? members.set(eq.find(q), new Set()).get(eq.find(q))!).add(q);
  const classes = [...members.values()].filter((m) => m.size >= 2).map((m) => [...m]);
  const negatives = pairs.filter((p) => p.label === 0 && !eq.same(p.a, p.b)).map((p) => [p.a, p.b]);
  const shuffle = <T>(xs: T[]) => { for (let i = xs.length - 1; i > 0; i--) { const j = Math.floor(random() * (i + 1)); [xs[i], xs[j]] = [xs[j]!, xs[i]!]; } return xs; };
  const sampler = (units: string[][]) => {
    const ordered = shuffle([...units]);
    const weights = ordered.map((_, r) => 1 / (r + 1) ** opts.zipf);
    const cumulative: number[] = [];
    weights.reduce((sum, w) => (cumulative.push(sum + w), sum + w), 0);
    const total = cumulative.at(-1)!;
    return () => {
      const x = random() * total;
      let lo = 0, hi = cumulative.length - 1;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (cumulative[mid]! < x) lo = mid + 1; else hi = mid; }
      const unit = ordered[lo]!;
      return unit[Math.floor(random() * unit.length)]!;
    };
  };
  const fromClass = sampler(classes);
  const fromNegative = sampler(negatives);
  return Array.from({ length: opts.stream }, () => (random() < opts.negatives ? fromNegative() : fromClass()));
}

class Cache {
  readonly entries = new Map<string, Entry>();
  readonly index = new MemoryIndex();
  readonly lookup: SemanticLookup;

  constructor(private readonly vectors: Map<string, Float32Array>, comparison: TextComparison, base: number) {
    const source: EntrySource = { load: async (_tenant, key) => this.entries.get(key) };
    this.lookup = new SemanticLookup(this.index, source, createVerifier({ threshold: base }), comparison, { candidates: 16, topK: 4, embedder: EMBEDDER });
  }

  has(q: string): boolean {
    return this.entries.has(cacheIdentity(ask(q)).key);
  }

  async store(q: string): Promise<void> {
    const id = cacheIdentity(ask(q));
    const entry: Entry = { version: 1, tenant: 't', key: id.key, context: id.context, model: MODEL, createdAt: 0, semanticText: q, embedding: Array.from(this.vectors.get(q)!), embedder: EMBEDDER, response: {} };
    this.entries.set(id.key, entry);
    await this.index.upsert([indexRecordOf(entry)]);
  }

  decide: Decide = async (q) => {
    const id = cacheIdentity(ask(q));
    return this.lookup.find({ tenant: 't', context: id.context, text: id.semanticText, embedding: this.vectors.get(q)! });
  };
}

const ask = (q: string) => ({ model: MODEL, messages: [{ role: 'user', content: q }] });

/** One pass over the stream; `floorOf` decides the floor from what was judged so far (a fixed number for the baselines). */
async function run(stream: string[], cache: Cache, eq: Equivalence, opts: Options, floorOf: (judged: Judged[]) => number, seed: number): Promise<RunResult> {
  const random = prng(seed * 7919 + 1);
  const judged: Judged[] = [];
  const result: RunResult = { served: 0, wrong: 0, audits: 0, auditedWrong: 0, upper: 1, judged: 0, judgedWrong: 0, floor: CLOSED, calls: 0 };
  let floor = floorOf(judged);
  const refusedFor = new Map<string, Judged>();
  // Every look is valid (learnedFloor); past 1,000 judgements the floor is recomputed every 25th, for the run's time.
  const judge = (j: Judged) => {
    judged.push(j);
    if (judged.length < 1_000 || judged.length % 25 === 0) floor = floorOf(judged);
  };
  for (const [i, q] of stream.entries()) {
    if (cache.has(q)) {
      // An exact repeat: L1, always right; under `repeats`, another request the refused candidate would have answered.
      const again = opts.repeats ? refusedFor.get(q) : undefined;
      if (again) judge(again);
      continue;
    }
    const best = await cache.decide(q);
    const counted = i >= opts.warmup;
    if (best && best.similarity >= floor) {
      const wrong = !eq.same(q, best.entry.semanticText);
      if (counted) (result.served++, (result.wrong += wrong ? 1 : 0));
      if (random() < opts.auditRate) {
        judge({ similarity: best.similarity, wrong });
        if (counted) (result.audits++, result.calls++, (result.auditedWrong += wrong ? 1 : 0));
        if (wrong) await cache.store(q); // the audit's repair: the fresh answer for this question
      }
    } else {
      // A miss: the provider answers; a candidate the floor alone refused is judged against that answer for free.
      if (counted) result.calls++;
      if (best && opts.free) {
        const refused = { similarity: best.similarity, wrong: !eq.same(q, best.entry.semanticText) };
        judge(refused);
        refusedFor.set(q, refused);
      }
      await cache.store(q);
    }
  }
  result.upper = wilsonUpper(result.auditedWrong, result.audits);
  result.judged = judged.length;
  result.judgedWrong = judged.filter((j) => j.wrong).length;
  result.floor = floor;
  return result;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      pairs: { type: 'string' }, split: { type: 'string' }, splits: { type: 'string', default: 'training/verifier/splits.json' },
      delta: { type: 'string', default: '0.02' }, base: { type: 'string', default: '0.9' }, 'audit-rate': { type: 'string', default: '0.05' },
      stream: { type: 'string', default: '6000' }, warmup: { type: 'string', default: '1500' }, seeds: { type: 'string', default: '20' },
      'embeddings-cache': { type: 'string' }, 'model-path': { type: 'string', default: '.reflex/models' }, 'model-name': { type: 'string', default: 'all-MiniLM-L6-v2' },
      kind: { type: 'string', default: 'zipf' }, policies: { type: 'string', default: 'live,learned' }, grid: { type: 'string', default: '41' }, zipf: { type: 'string', default: '1.1' }, negatives: { type: 'string', default: '0.3' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || !values.pairs) return void console.log('usage: node dist-bench/bench/budgetSim.js --pairs FILE [--split tune] [--delta 0.02] [--base 0.9] [--audit-rate 0.05] [--stream 6000] [--warmup 1500] [--seeds 20] [--embeddings-cache F] [--kind zipf|pairs] [--zipf 1.1] [--negatives 0.3] [--policies live,learned] [--grid 41]');
  const opts: Options = {
    pairs: values.pairs, split: values.split, splits: values.splits!, delta: Number(values.delta), base: Number(values.base), auditRate: Number(values['audit-rate']),
    stream: Number(values.stream), warmup: Number(values.warmup), seeds: Number(values.seeds), embeddingsCache: values['embeddings-cache'], modelPath: values['model-path']!, modelName: values['model-name']!,
    kind: values.kind === 'pairs' ? 'pairs' : 'zipf', zipf: Number(values.zipf), negatives: Number(values.negatives), free: true,
  };
  const all = loadPairs(opts.pairs);
  const pairs = opts.split ? loadSplit(opts.splits, opts.split).map((i) => all[i]!) : all;
  const eq = new Equivalence(all);
  const embedder = await OnnxEmbedder.load(opts.modelPath, opts.modelName);
  const vectors = readVectors(opts.embeddingsCache);
  const cached = vectors.size;
  const comparison = new TextComparison(embedder, false);
  const steps = Number(values.grid);
  const grid = Array.from({ length: steps }, (_, i) => opts.base + ((1 - opts.base) * i) / (steps - 1));
  console.log(`${opts.kind} stream of ${opts.stream} questions (${opts.warmup} warm-up)${opts.kind === 'zipf' ? `, Zipf s ${opts.zipf}, hard negatives ${opts.negatives}` : ''}, δ ${opts.delta}, base floor ${opts.base}, audit rate ${opts.auditRate}`);
  console.log('| seed | policy | served | true wrong rate | audits | audit estimate | 95% upper | covers | judged (wrong) | floor at the end | best fixed floor | its hits | ratio | provider calls: policy / best fixed |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  type Policy = { free: boolean; repeats?: boolean; floorOf: (judged: Judged[]) => number };
  const policyOf = (name: string): Policy => {
    if (name === 'live') return { free: false, floorOf: (judged) => budgetFloor(judged, opts.delta, opts.base) ?? opts.base };
    if (name === 'learned') return { free: true, floorOf: (judged) => learnedFloor(judged, opts.delta, opts.base) };
    if (name === 'repeats') return { free: true, repeats: true, floorOf: (judged) => learnedFloor(judged, opts.delta, opts.base) };
    throw new Error(`unknown policy ${name} (live, learned, repeats)`);
  };
  const policies = Object.fromEntries(values.policies!.split(',').map((n) => [n, policyOf(n)]));
  const tally = Object.fromEntries(Object.keys(policies).map((n) => [n, { covered: 0, under: 0, ratios: [] as number[] }]));
  for (let seed = 1; seed <= opts.seeds; seed++) {
    const stream = opts.kind === 'zipf' ? zipfStream(pairs, eq, opts, seed) : streamOf(pairs, opts.stream, seed);
    for (const q of stream) if (!vectors.has(q)) vectors.set(q, await embedder.embed(q));
    let best = { floor: CLOSED, served: 0, calls: 0 };
    for (const t of grid) {
      const fixed = await run(stream, new Cache(vectors, comparison, opts.base), eq, { ...opts, auditRate: 0, free: false }, () => t, seed);
      if (fixed.served > best.served && fixed.wrong <= opts.delta * fixed.served) best = { floor: t, served: fixed.served, calls: fixed.calls };
    }
    for (const [name, policy] of Object.entries(policies)) {
      const r = await run(stream, new Cache(vectors, comparison, opts.base), eq, { ...opts, free: policy.free, repeats: policy.repeats }, policy.floorOf, seed);
      const rate = r.served ? r.wrong / r.served : 0;
      const covers = r.upper >= rate;
      const ratio = best.served ? r.served / best.served : NaN;
      tally[name]!.covered += covers ? 1 : 0;
      tally[name]!.under += rate <= opts.delta ? 1 : 0;
      tally[name]!.ratios.push(ratio);
      console.log(`| ${seed} | ${name} | ${r.served} | ${rate.toFixed(4)} (${r.wrong}) | ${r.audits} | ${(r.audits ? r.auditedWrong / r.audits : 0).toFixed(4)} | ${r.upper.toFixed(4)} | ${covers ? 'yes' : 'no'} | ${r.judged} (${r.judgedWrong}) | ${r.floor.toFixed(4)} | ${best.floor.toFixed(4)} | ${best.served} | ${ratio.toFixed(2)} | ${r.calls} / ${best.calls} (${(r.calls / best.calls).toFixed(3)}) |`);
    }
  }
  if (opts.embeddingsCache && vectors.size > cached) writeVectors(opts.embeddingsCache, vectors);
  for (const [name, t] of Object.entries(tally)) {
    const sorted = t.ratios.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
    const median = sorted.length ? sorted[Math.floor(sorted.length / 2)]!.toFixed(2) : 'n/a';
    console.log(`\n${name}: true wrong rate ≤ δ in ${t.under}/${opts.seeds} seeds; the audits' upper bound covered the true rate in ${t.covered}/${opts.seeds}; served ÷ best fixed floor: median ${median}, min ${sorted.length ? sorted[0]!.toFixed(2) : 'n/a'}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
