/**
 * Misses (and semantic hits) under concurrent load, on the embedded default:
 *   node dist-bench/bench/missLoad.js [--connections 64] [--seconds 20] [--upstream-ms 300]
 *       [--mode miss|semantic] [--seed 600] [--miss-share 0] [--profile DIR] [--set K=V ...] [--node-arg FLAG ...]
 *       [--rounds 1] [--compare-url URL/v1 --compare-pid PID] [--upstream-port P]
 * Starts an OpenAI-compatible upstream that answers after --upstream-ms and
 * `reflex start` (Temporal dev server, Milvus Lite, worker, API) pointed at it,
 * in a temp REFLEX_HOME; `--set` passes REFLEX_* settings to the gateway.
 *
 * miss: N closed-loop clients of questions never asked before, first straight
 * at the upstream, then through the gateway. Prints throughput, p50/p99, the
 * CPU each process of the stack spent per answered miss (from /proc) and the
 * gateway's by thread, the Temporal events per fill, and whether every
 * answered miss is cached afterwards (its fill ended `cached`, and asking it
 * again is a hit). With --compare-url, each round first drives another proxy
 * (e.g. LiteLLM, pointed at --upstream-port) the same way, and its CPU from
 * --compare-pid and its children.
 * semantic: --seed questions are stored first (fills awaited), then N clients
 * send one distinct rewrite of each (every one must be HIT_L3_VERIFIED); with
 * --miss-share, that share of the requests are new questions instead.
 */
import { Client, Connection } from '@temporalio/client';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { BenchGateway, startEmbeddedGateway } from './gatewayProcess';
import { percentiles } from './load';
/** How long the fills of the last answers get to finish their store + index. */
const SETTLE_MS = 2_000;
const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');
const load1 = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

import { Answered, closedLoop } from './closedLoop';
import { diff, threadCpu, treeCpu } from './procCpu';
import { newQuestion, rewriteOf, storedQuestion } from './prompts';
import { BenchUpstream, startUpstream } from './upstream';
import { eventName } from './historyEvents';
import { reflexAttributes } from '../src/workflows/visibility';
import { scriptArgs } from './scriptArgs';
import { workflowClosed } from '../src/temporal/workflowClosed';

function summary(label: string, run: { answered: Answered[]; seconds: number }, kind?: Answered['kind']): void {
  const rows = run.answered.filter((a) => !kind || a.kind === kind);
  const ok = rows.filter((a) => a.code === 200);
  const p = percentiles(ok.map((a) => a.ms));
  const tiers: Record<string, number> = {};
  for (const a of rows) tiers[a.code === 200 ? a.tier : `HTTP ${a.code}`] = (tiers[a.code === 200 ? a.tier : `HTTP ${a.code}`] ?? 0) + 1;
  console.log(`${label}: ${rows.length} in ${fmt(run.seconds)} s = ${fmt(ok.length / run.seconds)} answered/s, p50 ${fmt(p.p50, 0)} ms, p99 ${fmt(p.p99, 0)} ms | ${JSON.stringify(tiers)} | load ${load1()}`);
}

/** The CPU each process (and each gateway thread) spent in `work`, per `per()` units. */
async function measured<T>(pid: number, work: () => Promise<T>, per: (t: T) => number, root = 'gateway'): Promise<T> {
  const [tree0, threads0] = [treeCpu(pid, root), threadCpu(pid)];
  const result = await work();
  const [tree, threads] = [diff(tree0, treeCpu(pid, root)), diff(threads0, threadCpu(pid))];
  const n = per(result);
  const total = Object.values(tree).reduce((s, v) => s + v, 0);
  const parts = Object.entries(tree).map(([name, ms]) => `${name} ${fmt(ms / n)}`);
  console.log(`  CPU ms per answered request (${n}): all ${fmt(total / n)} = ${parts.join(' + ')}`);
  const byThread = Object.entries(threads).filter(([, ms]) => ms / n >= 0.5).sort((a, b) => b[1] - a[1]);
  console.log(`  ${root} threads, ms per request: ${byThread.map(([name, ms]) => `${name} ${fmt(ms / n)}`).join(', ')}`);
  return result;
}

/** Each answered miss's fill outcome, then each asked again: cached afterwards = fill `cached` and the repeat a hit. */
async function cachedAfterwards(gateway: BenchGateway, misses: Answered[]): Promise<void> {
  const connection = await Connection.connect({ address: gateway.temporalAddress });
  const client = new Client({ connection });
  const outcomes: Record<string, number> = {};
  const answered = misses.filter((m) => m.code === 200 && m.tier === 'MISS');
  try {
    for (const m of answered) {
      const outcome = m.fillId ? await fillOutcome(client, m.fillId) : 'no fill id';
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
    await eventsPerFill(client, answered.slice(-20).map((m) => m.fillId!).filter(Boolean));
  } finally {
    await connection.close();
  }
  let i = 0;
  const again = await closedLoop(gateway.url + '/v1', 8, 600, () => (i < answered.length ? { question: answered[i++]!.question, kind: 'hit' } : undefined));
  const hits = again.answered.filter((a) => a.code === 200 && a.tier.startsWith('HIT')).length;
  console.log(`cached afterwards: ${answered.length} answered misses; fill outcomes ${JSON.stringify(outcomes)}; asked again: ${hits}/${answered.length} hits`);
  if (hits < answered.length || (outcomes.cached ?? 0) < answered.length) process.exitCode = 1;
}

/** How a fill ended, from its close event and its ReflexOutcome search attribute (payloads are encrypted). */
async function fillOutcome(client: Client, id: string): Promise<string> {
  try {
    await workflowClosed(client, id);
    const described = await client.workflowService.describeWorkflowExecution({ namespace: client.options.namespace, execution: { workflowId: id } });
    const outcome = described.workflowExecutionInfo?.searchAttributes?.indexedFields?.[reflexAttributes.outcome.name]?.data;
    return outcome ? (JSON.parse(Buffer.from(outcome).toString('utf8')) as string) : 'completed';
  } catch (err) {
    return `failed: ${err instanceof Error ? err.message : String(err)}`;
  }
}

async function eventsPerFill(client: Client, ids: string[]): Promise<void> {
  const counts: Record<string, number> = {};
  for (const id of ids) {
    for (const e of (await client.workflow.getHandle(id).fetchHistory()).events ?? []) {
      const kind = eventName(e);
      counts[kind] = (counts[kind] ?? 0) + 1 / ids.length;
    }
  }
  const total = Object.values(counts).reduce((s, v) => s + v, 0);
  console.log(`Temporal events per fill (last ${ids.length}): ${fmt(total)} = ${Object.entries(counts).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}`);
}

async function missMode(gateway: BenchGateway, upstream: BenchUpstream, run: string, opts: Options): Promise<void> {
  let i = 0;
  const fresh = () => ({ question: newQuestion(run, i++), kind: 'miss' as const });
  summary('warm-up (not counted)', await closedLoop(gateway.url + '/v1', opts.connections, 3, fresh));
  summary(`upstream direct, ${opts.connections} clients`, await closedLoop(upstream.url, opts.connections, Math.min(opts.seconds, 10), fresh));
  const answered: Answered[] = [];
  for (let round = 1; round <= opts.rounds; round++) {
    if (opts.compare) {
      const compare = opts.compare;
      const other = await measured(compare.pid, () => closedLoop(compare.url, opts.connections, opts.seconds, fresh), (r) => r.answered.filter((a) => a.code === 200).length, 'compared');
      summary(`round ${round}: compared proxy (${compare.url}), ${opts.connections} clients of new questions`, other);
    }
    const calls0 = upstream.calls();
    await sleep(SETTLE_MS);
    // The CPU window includes the fills' store + index after the last answer.
    const work = () => closedLoop(gateway.url + '/v1', opts.connections, opts.seconds, fresh).then(async (r) => (await sleep(SETTLE_MS), r));
    const load = await measured(gateway.pid!, work, (r) => r.answered.filter((a) => a.code === 200).length);
    summary(`round ${round}: gateway, ${opts.connections} clients of new questions`, load);
    console.log(`  upstream calls during the run: ${upstream.calls() - calls0}`);
    answered.push(...load.answered);
  }
  await cachedAfterwards(gateway, answered);
}

async function semanticMode(gateway: BenchGateway, run: string, opts: Options): Promise<void> {
  const url = gateway.url + '/v1';
  let s = 0;
  const seeded = await closedLoop(url, 16, 600, () => (s < opts.seed ? { question: storedQuestion(run, s++), kind: 'miss' } : undefined));
  summary('seeding', seeded);
  await cachedAfterwards(gateway, seeded.answered);
  let h = 0;
  let m = 0;
  let credit = 0;
  const next = () => {
    credit += opts.missShare;
    if (credit >= 1) {
      credit -= 1;
      return { question: newQuestion(run, m++), kind: 'miss' as const };
    }
    return h < opts.seed ? { question: rewriteOf(storedQuestion(run, h++)), kind: 'hit' as const } : undefined;
  };
  const load = await measured(gateway.pid!, () => closedLoop(url, opts.connections, 600, next), (r) => r.answered.filter((a) => a.code === 200).length);
  summary(`semantic hits, ${opts.connections} clients, distinct rewrites`, load, 'hit');
  if (opts.missShare > 0) summary('  misses mixed in', load, 'miss');
  const served = load.answered.filter((a) => a.kind === 'hit' && a.tier === 'HIT_L3_VERIFIED').length;
  if (served < h) process.exitCode = 1;
}

interface Options {
  rounds: number;
  /** Another OpenAI-compatible proxy in front of the same upstream (base URL with /v1), driven alternately. */
  compare?: { url: string; pid: number };
  connections: number;
  seconds: number;
  seed: number;
  missShare: number;
}

async function main(): Promise<void> {
  const { values } = scriptArgs(process.argv.slice(2), {
    summary: 'Misses (or semantic hits) under concurrent load on the embedded default, against a direct upstream baseline.',
    options: {
      connections: { type: 'string', default: '64', description: 'closed-loop clients' },
      seconds: { type: 'string', default: '20', description: 'length of each measured phase (at most 300)' },
      'upstream-ms': { type: 'string', default: '300', description: 'how long the upstream takes to answer' },
      mode: { type: 'string', default: 'miss', description: 'miss (new questions) or semantic (paraphrases of stored ones)' },
      seed: { type: 'string', default: '600', description: 'semantic mode: how many questions are stored first' },
      'miss-share': { type: 'string', default: '0', description: 'semantic mode: share of requests that are new questions' },
      profile: { type: 'string', description: 'write CPU profiles of the gateway to this folder' },
      set: { type: 'string', multiple: true, default: [], description: 'a REFLEX_* setting for the gateway, K=V' },
      rounds: { type: 'string', default: '1', description: 'alternating rounds' },
      'compare-url': { type: 'string', description: 'another OpenAI-compatible proxy (base URL with /v1) in front of the same upstream, driven alternately' },
      'compare-pid': { type: 'string', description: "that proxy's process id, for its CPU" },
      'upstream-port': { type: 'string', description: 'port for the upstream (default: a free one)' },
      'node-arg': { type: 'string', multiple: true, default: [], description: 'a flag for the gateway\'s node' },
    },
  });
  const compare = values['compare-url'] ? { url: values['compare-url'], pid: Number(values['compare-pid']) } : undefined;
  const opts: Options = { rounds: Number(values.rounds), compare, connections: Number(values.connections), seconds: Math.min(Number(values.seconds), 300), seed: Number(values.seed), missShare: Number(values['miss-share']) };
  console.log(`machine: ${os.cpus().length} cores, node ${process.version}, load average ${load1()}; upstream ${values['upstream-ms']} ms`);
  const upstream = await startUpstream(Number(values['upstream-ms']), Number(values['upstream-port'] ?? 0));
  const settings = Object.fromEntries(values.set.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  const gateway = await startEmbeddedGateway({
    env: { REFLEX_MOCK_PROVIDER: '0', REFLEX_UPSTREAM_URL: upstream.url, REFLEX_UPSTREAM_API_KEY: 'bench', REFLEX_AUTH: 'none', REFLEX_LOG_LEVEL: 'warn', ...settings },
    nodeArgs: [...values['node-arg'], ...(values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : [])],
    keepHome: !!values.profile,
  });
  const run = Date.now().toString(36);
  try {
    if (values.mode === 'semantic') await semanticMode(gateway, run, opts);
    else await missMode(gateway, upstream, run, opts);
  } finally {
    await gateway.stop();
    await upstream.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
