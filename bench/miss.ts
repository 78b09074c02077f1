/**
 * Miss-path overhead, rerunnable:
 *   node dist-bench/bench/miss.js [--n 200] [--gap-ms 100] [--upstream-ms 0] [--url URL --upstream-port P]
 * Starts a tiny OpenAI-compatible upstream on loopback and (unless --url is
 * given) `reflex start` in a temp REFLEX_HOME pointed at it. Then, in one
 * run, alternates a direct upstream call and a gateway miss on a new
 * question, and reports both latencies and the overhead (miss − direct).
 * Each miss is repeated at once to count read-your-writes hits, and its
 * Server-Timing phases are summed into a breakdown.
 *   --baseline DIR   also starts DIR's build (another checkout, built) beside
 *                    this one, and alternates blocks of --block pairs between
 *                    the two (order swapped each round): builds compared in
 *                    one run, on the same minutes of the host.
 */
import { Client, Connection } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { percentiles } from './load';
import { post } from './post';
import { startUpstream } from './upstream';
import { eventName } from './historyEvents';
import { startEmbeddedGateway } from './gatewayProcess';
import { scriptArgs } from './scriptArgs';


interface Timed {
  ms: number;
  status: string;
  timing: Record<string, number>;
  fillId?: string;
}

async function ask(url: string, content: string): Promise<Timed> {
  const body = JSON.stringify({ model: 'bench-model', messages: [{ role: 'user', content }] });
  const res = await post(`${url}/chat/completions`, body, { 'content-type': 'application/json', authorization: 'Bearer reflex-bench' });
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
  return { ms: res.ms, status: res.header('x-reflex-status') ?? 'direct', timing: serverTiming(res.header('server-timing')), fillId: res.header('x-reflex-fill-id') ?? undefined };
}

/** `a;dur=1.2, b;dur=3` → { a: 1.2, b: 3 } */
function serverTiming(header: string | null): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of (header ?? '').split(',')) {
    const [name, ...params] = part.trim().split(';');
    const dur = params.map((p) => p.trim()).find((p) => p.startsWith('dur='));
    if (name && dur) out[name] = Number(dur.slice(4));
  }
  return out;
}

const fmt = (xs: number[]) => {
  const { p50, p95 } = percentiles(xs);
  return `p50 ${p50.toFixed(1)} ms  p95 ${p95.toFixed(1)} ms`;
};

interface Measured {
  direct: number[];
  miss: number[];
  overhead: number[];
  phases: Record<string, number[]>;
  repeatsHit: number;
  fillIds: string[];
}

const measured = (): Measured => ({ direct: [], miss: [], overhead: [], phases: {}, repeatsHit: 0, fillIds: [] });

/** One pair: a direct upstream call and a gateway miss on the same new question, then the question again (a hit). */
async function pair(upstreamUrl: string, gatewayUrl: string, q: string, gapMs: number, into?: Measured): Promise<void> {
  const d = await ask(upstreamUrl, q);
  const m = await ask(gatewayUrl, q);
  if (m.status !== 'MISS') throw new Error(`expected a MISS, got ${m.status} for "${q}"`);
  const again = await ask(gatewayUrl, q);
  await sleep(gapMs);
  if (!into) return;
  into.direct.push(d.ms);
  into.miss.push(m.ms);
  into.overhead.push(m.ms - d.ms);
  if (again.status.startsWith('HIT')) into.repeatsHit++;
  if (m.fillId) into.fillIds.push(m.fillId);
  for (const [name, ms] of Object.entries(m.timing)) (into.phases[name] ??= []).push(ms);
}

function report(label: string, r: Measured, n: number): void {
  console.log(`${label}misses: n=${n}`);
  console.log(`direct upstream     ${fmt(r.direct)}`);
  console.log(`gateway miss        ${fmt(r.miss)}`);
  console.log(`overhead (per pair) ${fmt(r.overhead)}`);
  console.log(`repeat at once      ${r.repeatsHit}/${n} served as hits`);
  for (const [name, xs] of Object.entries(r.phases)) console.log(`  server-timing ${name.padEnd(10)} ${fmt(xs)}`);
}

async function main(): Promise<void> {
  const { values } = scriptArgs(process.argv.slice(2), {
    summary: 'Miss-path overhead: a direct upstream call and a gateway miss on a new question, alternated, and the difference.',
    options: {
      n: { type: 'string', default: '200', description: 'measured pairs (at most 5000)' },
      'gap-ms': { type: 'string', default: '100', description: 'pause between pairs' },
      'upstream-ms': { type: 'string', default: '0', description: 'how long the upstream takes to answer' },
      'upstream-port': { type: 'string', default: '0', description: 'port for the upstream (0: a free one)' },
      url: { type: 'string', description: 'a running gateway pointed at --upstream-port, instead of starting one' },
      temporal: { type: 'string', description: 'that gateway\'s Temporal frontend' },
      baseline: { type: 'string', description: 'another checkout, built: its gateway runs beside this one, in alternated blocks' },
      block: { type: 'string', default: '25', description: 'pairs per block with --baseline' },
    },
  });
  const n = Math.min(Number(values.n), 5_000);
  const gap = Number(values['gap-ms']);
  const warmup = Math.min(20, n);
  const server = await startUpstream(Number(values['upstream-ms']), Number(values['upstream-port']));
  const env = { REFLEX_MOCK_PROVIDER: '0', REFLEX_UPSTREAM_URL: server.url, REFLEX_UPSTREAM_API_KEY: 'bench', REFLEX_AUTH: 'none', REFLEX_LOG_LEVEL: 'warn' };
  const gateway = values.url ? undefined : await startEmbeddedGateway({ env });
  const baseline = values.baseline ? await startEmbeddedGateway({ env, repo: values.baseline }) : undefined;
  const gatewayUrl = `${values.url ?? gateway!.url}/v1`;
  const run = Date.now().toString(36);
  const question = (tag: string, i: number) => `Bench ${run}${tag} question ${i}: what should I know about topic ${i}?`;
  const results = { this: measured(), baseline: measured() };
  try {
    if (!baseline) {
      for (let i = 0; i < n + warmup; i++) await pair(server.url, gatewayUrl, question('', i), gap, i < warmup ? undefined : results.this);
      const address = values.temporal ?? gateway?.temporalAddress;
      if (address) await printTimeline(address, results.this.fillIds.slice(-20));
    } else {
      await comparePaired(server.url, { this: gatewayUrl, baseline: `${baseline.url}/v1` }, results, { n, warmup, gap, block: Number(values.block), question });
    }
  } finally {
    await server.close();
    await Promise.all([gateway?.stop(), baseline?.stop()]);
  }
  console.log(`upstream delay ${values['upstream-ms']} ms, gap ${gap} ms, ${warmup} warm-up pairs each`);
  report(baseline ? `this build: ` : '', results.this, results.this.direct.length);
  if (baseline) report(`baseline (${values.baseline}): `, results.baseline, results.baseline.direct.length);
}

type Builds = 'this' | 'baseline';

/** Blocks of pairs on each build in turn, the order swapped each round; the median of the per-round p50 differences. */
async function comparePaired(upstreamUrl: string, urls: Record<Builds, string>, results: Record<Builds, Measured>, o: { n: number; warmup: number; gap: number; block: number; question: (tag: string, i: number) => string }): Promise<void> {
  for (const build of ['this', 'baseline'] as const) for (let i = 0; i < o.warmup; i++) await pair(upstreamUrl, urls[build], o.question(`-${build}`, 1_000_000 + i), o.gap);
  const differences: number[] = [];
  for (let round = 0, done = 0; done < o.n; round++) {
    const size = Math.min(o.block, o.n - done);
    const p50: Record<Builds, number> = { this: 0, baseline: 0 };
    for (const build of round % 2 ? (['baseline', 'this'] as const) : (['this', 'baseline'] as const)) {
      const block = measured();
      for (let i = 0; i < size; i++) await pair(upstreamUrl, urls[build], o.question(`-${build}`, done + i), o.gap, block);
      merge(results[build], block);
      p50[build] = percentiles(block.overhead).p50;
    }
    differences.push(p50.this - p50.baseline);
    done += size;
  }
  const sorted = differences.sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(1);
  console.log(`per-block overhead p50, this build − baseline: median ${at(0.5)} ms, quartiles ${at(0.25)} / ${at(0.75)} ms over ${sorted.length} rounds`);
}

function merge(into: Measured, from: Measured): void {
  into.direct.push(...from.direct);
  into.miss.push(...from.miss);
  into.overhead.push(...from.overhead);
  into.repeatsHit += from.repeatsHit;
  into.fillIds.push(...from.fillIds);
  for (const [name, xs] of Object.entries(from.phases)) (into.phases[name] ??= []).push(...xs);
}

/** The median fill's history: each event's offset from the workflow start, to see where the time goes. */
async function printTimeline(address: string, ids: string[]): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection });
    const timelines: { name: string; at: number }[][] = [];
    for (const id of ids) {
      const history = await client.workflow.getHandle(id).fetchHistory();
      const events = history.events ?? [];
      const t0 = millis(events[0]?.eventTime);
      timelines.push(events.map((e) => ({ name: eventName(e), at: millis(e.eventTime) - t0 })));
    }
    const answered = (t: { name: string; at: number }[]) => t.find((e) => e.name.startsWith('WorkflowExecutionUpdateCompleted'))?.at ?? 0;
    const median = [...timelines].sort((a, b) => answered(a) - answered(b))[Math.floor(timelines.length / 2)];
    console.log(`fill history (median of the last ${timelines.length} by time to the update's completion):`);
    for (const e of median ?? []) console.log(`  +${e.at.toFixed(1).padStart(7)} ms  ${e.name}`);
  } finally {
    await connection.close();
  }
}

const millis = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => (t ? Number(t.seconds ?? 0) * 1000 + (t.nanos ?? 0) / 1e6 : 0);

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
