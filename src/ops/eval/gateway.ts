/**
 * `reflex eval` against a running gateway over HTTP: store each pair's `a`
 * (a MISS that starts a fill workflow), wait for that fill to be indexed,
 * ask `b`, and score the answer by X-Reflex-Status and by whether its
 * content is `a`'s answer. Loopback only, bounded concurrency.
 */
import { randomBytes } from 'node:crypto';
import { chatMessages, loadPairs, sample, withoutCrossExactRepeats, type Pair } from './pairs';
import fs from 'node:fs';
import { formatScores, formatSweep, percentile, score, type Outcome, type Scores } from './metrics';
import { precisionRecallSvg, type Curve } from './plot';
import { FillWaiter } from './fillWaiter';
import { mapBounded, Progress } from './progress';
import { gatewayDataDir, parseGatewayArgs, type Protocol } from './args';
import { keepLastCurve } from '../dashboard/lastCurve';

export interface GatewayEvalOptions {
  pairs: string;
  protocol: Protocol;
  limit?: number;
  offset?: number;
  seed?: number;
  url: string;
  /** Temporal frontend used to await fills; a fixed wait is used when unreachable. */
  temporal: string;
  namespace: string;
  concurrency?: number;
  /** X-Reflex-Threshold values: each pair's `b` is also asked at each, only-if-cached (no fill), before its plain ask. */
  sweep?: number[];
  /** Wait when a MISS carries no X-Reflex-Fill-Id (or Temporal is unreachable). */
  fallbackWaitMs?: number;
  log?: (line: string) => void;
}

export interface GatewayEvalResult {
  scores: Scores;
  statuses: Record<string, number>;
  errors: number;
  /** Storing `a` did not answer MISS (e.g. an `a` repeated within the corpus). */
  unexpectedStoreStatus: number;
  hitLatencyMs: { p50: number; p90: number; p99: number; max: number; count: number };
  /** The L3 the gateway runs ("model" or "guards", from GET /ready); "unknown" if it does not say. */
  verifier: string;
  /** Scores at each swept X-Reflex-Threshold; thresholds the gateway refused (outside its bounds) are left out. */
  sweep: Array<{ threshold: number; scores: Scores }>;
}

interface Reply {
  status: string;
  content: string;
  fillId?: string;
  ms: number;
  ok: boolean;
}

function assertLoopback(url: string): void {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  if (!(host === 'localhost' || host === '::1' || /^127\./.test(host))) {
    throw new Error(`refusing to evaluate against ${host}: the eval only talks to a gateway on this machine (loopback)`);
  }
}

async function ask(url: string, token: string, text: string, system?: string, history?: Pair['history_a'], headers: Record<string, string> = {}): Promise<Reply> {
  const started = performance.now();
  const res = await fetch(`${url.replace(/\/$/, '')}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body: JSON.stringify({ model: 'eval-model', messages: chatMessages(text, system, history) }),
    signal: AbortSignal.timeout(120_000),
  });
  const body = (await res.json().catch(() => ({}))) as { choices?: Array<{ message?: { content?: unknown } }> };
  return {
    ok: res.ok,
    status: res.headers.get('x-reflex-status') ?? `HTTP_${res.status}`,
    fillId: res.headers.get('x-reflex-fill-id') ?? undefined,
    content: String(body.choices?.[0]?.message?.content ?? ''),
    ms: performance.now() - started,
  };
}

/** GET /ready names the gateway's verifier; the figures mean little without it. */
async function gatewayVerifier(url: string): Promise<string> {
  try {
    const res = await fetch(`${url.replace(/\/$/, '')}/ready`, { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as { verifier?: unknown };
    return typeof body.verifier === 'string' ? body.verifier : 'unknown';
  } catch {
    return 'unknown';
  }
}

export async function runGatewayEval(opts: GatewayEvalOptions): Promise<GatewayEvalResult> {
  assertLoopback(opts.url);
  const verifier = await gatewayVerifier(opts.url);
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const sampled = sample(loadPairs(opts.pairs), { seed: opts.seed ?? 42, offset: opts.offset ?? 0, limit: opts.limit });
  const pairs = opts.protocol === 'corpus' ? withoutCrossExactRepeats(sampled) : sampled;
  if (pairs.length < sampled.length) log(`corpus: left out ${sampled.length - pairs.length} pairs whose b is another pair's a verbatim (an L1 exact hit)`);
  const run = randomBytes(4).toString('hex'); // fresh tenants every run, so earlier runs cannot answer
  const token = (i: number) => (opts.protocol === 'corpus' ? `eval-${run}` : `eval-${run}-${i}`);
  const waiter = await FillWaiter.connect(opts.temporal, opts.namespace, opts.fallbackWaitMs ?? 3000, log);
  const limit = opts.concurrency ?? 4;
  const statuses: Record<string, number> = {};
  let errors = 0;
  const count = (r: Reply) => {
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    if (!r.ok) errors++;
    return r;
  };
  try {
    const store = async (p: Pair, i: number) => {
      const r = count(await ask(opts.url, token(i), p.a, p.system_a, p.history_a));
      if (opts.protocol === 'isolated') await waiter.wait(r.fillId);
      return r;
    };
    const query = async (p: Pair, i: number) => count(await ask(opts.url, token(i), p.b, p.system_b, p.history_b));
    const sweep = opts.sweep ?? [];
    // Only-if-cached: a miss is a 504 and starts no fill, so `b` is never stored and the next ask sees the same cache.
    const swept = async (p: Pair, i: number) => {
      const replies: Reply[] = [];
      for (const t of sweep) replies.push(await ask(opts.url, token(i), p.b, p.system_b, p.history_b, { 'x-reflex-cache': 'only-if-cached', 'x-reflex-threshold': String(t) }));
      return replies;
    };
    let stored: Reply[];
    let asked: Reply[];
    let sweeps: Reply[][];
    if (opts.protocol === 'isolated') {
      // Each pair in its own tenant: store, wait for its fill, then ask (the sweep first: the plain ask may store `b`).
      const all = await mapBounded(pairs, limit, new Progress('pairs', pairs.length), async (p, i) => [await store(p, i), await swept(p, i), await query(p, i)] as const);
      stored = all.map((x) => x[0]);
      sweeps = all.map((x) => x[1]);
      asked = all.map((x) => x[2]);
    } else {
      // One tenant: every `a` is stored and indexed before any `b` is asked.
      stored = await mapBounded(pairs, limit, new Progress('store', pairs.length), store);
      await waiter.waitAll(stored.map((r) => r.fillId));
      sweeps = sweep.length ? await mapBounded(pairs, limit, new Progress('sweep', pairs.length), swept) : pairs.map(() => []);
      asked = await mapBounded(pairs, limit, new Progress('ask', pairs.length), query);
    }
    return { ...summarise(pairs, stored, asked, statuses, errors), verifier, sweep: sweepScores(sweep, pairs, stored, sweeps, log) };
  } finally {
    await waiter.close();
  }
}

/** A hit serving `a`'s own answer, another answer, or no hit. */
function outcomesOf(pairs: Pair[], stored: Reply[], asked: Reply[]): Outcome[] {
  return pairs.map((p, i) => {
    const r = asked[i]!;
    const hit = r.ok && r.status.startsWith('HIT');
    const served = !hit ? 'miss' : r.content === stored[i]!.content ? 'own' : 'other';
    return { label: p.label, kind: p.kind ?? (p.label ? 'duplicate' : 'non_duplicate'), served };
  });
}

/** Scores per swept threshold; one whose asks all failed other than as a miss (a 400: outside the gateway's bounds) is dropped. */
function sweepScores(sweep: number[], pairs: Pair[], stored: Reply[], sweeps: Reply[][], log: (line: string) => void): GatewayEvalResult['sweep'] {
  const out: GatewayEvalResult['sweep'] = [];
  sweep.forEach((threshold, k) => {
    const asked = sweeps.map((replies) => replies[k]!);
    const refused = asked.filter((r) => !r.ok && r.status !== 'MISS');
    if (refused.length === asked.length && asked.length) return log(`sweep: threshold ${threshold} refused by the gateway (${refused[0]!.status}); left out`);
    out.push({ threshold, scores: score(outcomesOf(pairs, stored, asked)) });
  });
  return out;
}

function summarise(pairs: Pair[], stored: Reply[], asked: Reply[], statuses: Record<string, number>, errors: number): Omit<GatewayEvalResult, 'verifier' | 'sweep'> {
  const outcomes = outcomesOf(pairs, stored, asked);
  const hitMs = asked.filter((r) => r.ok && r.status.startsWith('HIT')).map((r) => r.ms);
  return {
    scores: score(outcomes),
    statuses,
    errors,
    unexpectedStoreStatus: stored.filter((r) => r.status !== 'MISS').length,
    hitLatencyMs: {
      p50: percentile(hitMs, 50), p90: percentile(hitMs, 90), p99: percentile(hitMs, 99),
      max: hitMs.length ? Math.max(...hitMs) : NaN, count: hitMs.length,
    },
  };
}

export function formatGatewayEval(r: GatewayEvalResult): string {
  const l = r.hitLatencyMs;
  return [
    `gateway verifier: ${r.verifier}`,
    formatScores(r.scores),
    `hit latency ms (client-side, ${l.count} hits): p50 ${l.p50.toFixed(1)}  p90 ${l.p90.toFixed(1)}  p99 ${l.p99.toFixed(1)}  max ${l.max.toFixed(1)}`,
    `statuses ${JSON.stringify(r.statuses)}  errors ${r.errors}  stores not answered MISS ${r.unexpectedStoreStatus}`,
    ...(r.sweep.length ? ['', 'X-Reflex-Threshold sweep (only-if-cached):', formatSweep(r.sweep)] : []),
  ].join('\n');
}

/** The gateway's curve: over X-Reflex-Threshold (cosine), the plain run as the operating point (its threshold is the gateway's own, not reported). */
export function gatewayCurve(r: GatewayEvalResult): Curve {
  return {
    label: `gateway (${r.verifier} verifier), X-Reflex-Threshold`,
    points: r.sweep.map((s) => ({ threshold: s.threshold, precision: s.scores.precision, recall: s.scores.recall })),
    operating: { precision: r.scores.precision, recall: r.scores.recall },
  };
}

/** `--plot FILE`: the picture of a gateway eval, and the dashboard's copy of it. */
export async function plotGatewayEval(r: GatewayEvalResult, file: string): Promise<void> {
  const svg = precisionRecallSvg([gatewayCurve(r)], `Reflex hit quality: ${r.scores.pairs} pairs, gateway`);
  fs.writeFileSync(file, svg);
  await keepLastCurve(gatewayDataDir(), svg);
}

async function main(): Promise<void> {
  const a = parseGatewayArgs(process.argv.slice(2));
  const result = await runGatewayEval({ ...a });
  if (a.plot) await plotGatewayEval(result, a.plot);
  process.stdout.write(a.json ? JSON.stringify(result, null, 2) + '\n' : formatGatewayEval(result) + '\n');
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
