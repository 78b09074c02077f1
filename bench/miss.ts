/**
 * Miss-path overhead, rerunnable:
 *   node dist-bench/bench/miss.js [--n 200] [--gap-ms 100] [--upstream-ms 0] [--url URL --upstream-port P]
 * Starts a tiny OpenAI-compatible upstream on loopback and (unless --url is
 * given) `reflex start` in a temp REFLEX_HOME pointed at it. Then, in one
 * run, alternates a direct upstream call and a gateway miss on a new
 * question, and reports both latencies and the overhead (miss − direct).
 * Each miss is repeated at once to count read-your-writes hits, and its
 * Server-Timing phases are summed into a breakdown.
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
    },
  });
  const n = Math.min(Number(values.n), 5_000);
  const warmup = Math.min(20, n);
  const server = await startUpstream(Number(values['upstream-ms']), Number(values['upstream-port']));
  const upstreamUrl = server.url;
  const gateway = values.url
    ? undefined
    : await startEmbeddedGateway({ env: { REFLEX_MOCK_PROVIDER: '0', REFLEX_UPSTREAM_URL: upstreamUrl, REFLEX_UPSTREAM_API_KEY: 'bench', REFLEX_AUTH: 'none', REFLEX_LOG_LEVEL: 'warn' } });
  const gatewayUrl = `${values.url ?? gateway!.url}/v1`;
  const run = Date.now().toString(36);
  const direct: number[] = [];
  const miss: number[] = [];
  const overhead: number[] = [];
  const phases: Record<string, number[]> = {};
  let repeatsHit = 0;
  const fillIds: string[] = [];
  try {
    for (let i = 0; i < n + warmup; i++) {
      const q = `Bench ${run} question ${i}: what should I know about topic ${i}?`;
      const d = await ask(upstreamUrl, q);
      const m = await ask(gatewayUrl, q);
      if (m.status !== 'MISS') throw new Error(`expected a MISS, got ${m.status}`);
      const again = await ask(gatewayUrl, q);
      await sleep(Number(values['gap-ms']));
      if (i < warmup) continue;
      direct.push(d.ms);
      miss.push(m.ms);
      overhead.push(m.ms - d.ms);
      if (again.status.startsWith('HIT')) repeatsHit++;
      if (m.fillId) fillIds.push(m.fillId);
      for (const [name, ms] of Object.entries(m.timing)) (phases[name] ??= []).push(ms);
    }
    const address = values.temporal ?? gateway?.temporalAddress;
    if (address) await printTimeline(address, fillIds.slice(-20));
  } finally {
    await server.close();
    await gateway?.stop();
  }
  console.log(`misses: n=${n} (after ${warmup} warm-up), upstream delay ${values['upstream-ms']} ms, gap ${values['gap-ms']} ms`);
  console.log(`direct upstream     ${fmt(direct)}`);
  console.log(`gateway miss        ${fmt(miss)}`);
  console.log(`overhead (per pair) ${fmt(overhead)}`);
  console.log(`repeat at once      ${repeatsHit}/${n} served as hits`);
  for (const [name, xs] of Object.entries(phases)) console.log(`  server-timing ${name.padEnd(10)} ${fmt(xs)}`);
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
