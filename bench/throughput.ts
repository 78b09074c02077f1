/**
 * Hit-path throughput and latency, side by side with a reference in one run:
 *   node dist-bench/bench/throughput.js [--url URL --temporal ADDR] [--seconds 10] [--rounds 3]
 *       [--connections 32] [--semantic 100] [--profile DIR] [--only l1|semantic]
 * Without --url it starts the embedded default (`reflex start`, mock provider)
 * on free ports in a temporary REFLEX_HOME and stops it at the end.
 *
 * L1: one prompt is stored, then autocannon repeats it (32 connections) against
 * the gateway and against a bare Koa app (its own process) that returns the
 * same bytes and headers; rounds alternate so both see the same machine load.
 * Every gateway answer must be an L1 hit: the gateway's own counter of
 * HIT_L1_EXACT requests must grow by exactly what autocannon sent.
 * Semantic: n distinct questions are stored (fills awaited), then light
 * rewrites of each are asked one at a time (each must be HIT_L3_VERIFIED), then
 * the same rewrites again (a repeated semantic text).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FillWaiter } from '../src/ops/eval/fillWaiter';
import { BenchGateway, startEmbeddedGateway } from './gatewayProcess';
import { load, LoadResult, percentiles } from './load';
import { post } from './post';
import { processCpu } from './procCpu';
import { rewriteOf, storedQuestion } from './prompts';
import { scriptArgs } from './scriptArgs';

const TOKEN = 'reflex-bench-token';
const HEADERS = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };
/** Response headers a hit carries that the reference must send too (Koa adds content-type/length itself). */
const HIT_HEADERS = ['x-reflex-status', 'x-reflex-format', 'age', 'x-request-id'];

const load1 = () => os.loadavg()[0]!.toFixed(1);
const fmt = (n: number, d = 2) => n.toFixed(d);

interface Reply {
  status: string;
  ms: number;
  fillId: string | null;
  header(name: string): string | null;
  body: string;
}

async function chat(url: string, body: string): Promise<Reply> {
  const res = await post(`${url}/v1/chat/completions`, body, HEADERS);
  return { status: res.header('x-reflex-status') ?? String(res.status), ms: res.ms, fillId: res.header('x-reflex-fill-id'), header: res.header, body: res.body };
}

const request = (content: string) => JSON.stringify({ model: 'bench-model', messages: [{ role: 'user', content }] });

async function l1Hits(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('reflex_requests_total{') && l.includes('tier="HIT_L1_EXACT"') && l.includes('status="200"'));
  return line ? Number(line.split(' ').pop()) : 0;
}

/** Starts the bare Koa reference with the recorded answer; resolves with its URL and a stop function. */

async function startReference(recorded: { headers: Record<string, string>; body: string }): Promise<{ url: string; pid?: number; stop: () => void }> {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'reflex-koa-')), 'response.json');
  writeFileSync(file, JSON.stringify(recorded));
  const child = spawn(process.execPath, [path.join(__dirname, 'bareKoa.js'), file], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bare Koa exited with ${code}`)));
    child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
  });
  return { url: `http://127.0.0.1:${port}`, pid: child.pid, stop: () => child.kill('SIGTERM') };
}

interface Measured extends LoadResult {
  /** CPU time the server process used per answered request, in µs. */
  cpuUs: number;
}

async function benchL1(url: string, pid: number | undefined, waiter: FillWaiter, opts: { seconds: number; rounds: number; connections: number }): Promise<void> {
  const body = request('How do I reset the password of my home router?');
  let reply = await chat(url, body);
  if (reply.status === 'MISS') {
    await waiter.wait(reply.fillId ?? undefined);
    reply = await chat(url, body);
  }
  if (reply.status !== 'HIT_L1_EXACT') throw new Error(`the primed prompt is not an L1 hit (${reply.status})`);
  const headers = Object.fromEntries(HIT_HEADERS.map((h) => [h, reply.header(h) ?? '']));
  const reference = await startReference({ headers, body: reply.body });
  try {
    const run = async (target: string, serverPid: number | undefined, seconds: number): Promise<Measured> => {
      const cpu0 = processCpu(serverPid);
      const result = await load({ url: `${target}/v1/chat/completions`, body, headers: HEADERS, connections: opts.connections, seconds });
      return { ...result, cpuUs: ((processCpu(serverPid) - cpu0) * 1000) / result.requests };
    };
    console.log(`L1 exact hit vs bare Koa: ${opts.connections} connections, ${opts.rounds} × ${opts.seconds} s each, alternating; response ${reply.body.length} bytes`);
    await run(reference.url, reference.pid, 2);
    await run(url, pid, 2);
    const gateway: Measured[] = [];
    const koa: Measured[] = [];
    const before = await l1Hits(url);
    for (let r = 0; r < opts.rounds; r++) {
      const k = await run(reference.url, reference.pid, opts.seconds);
      const g = await run(url, pid, opts.seconds);
      koa.push(k);
      gateway.push(g);
      console.log(`  round ${r + 1}: koa ${fmt(k.rps, 0)} req/s p50 ${k.p50} p99 ${k.p99} ms ${fmt(k.cpuUs, 0)} µs CPU/req | gateway ${fmt(g.rps, 0)} req/s p50 ${g.p50} p99 ${g.p99} ms ${fmt(g.cpuUs, 0)} µs CPU/req | ratio ${fmt(g.rps / k.rps)} | load ${load1()}`);
    }
    const hits = (await l1Hits(url)) - before;
    const sent = gateway.reduce((s, g) => s + g.requests, 0);
    const bad = gateway.reduce((s, g) => s + g.non2xx + g.errors, 0);
    const mean = (rs: Measured[], f: (r: Measured) => number) => rs.reduce((s, r) => s + f(r), 0) / rs.length;
    const max = (rs: Measured[], f: (r: Measured) => number) => Math.max(...rs.map(f));
    const summary = (rs: Measured[]) =>
      `${fmt(mean(rs, (r) => r.rps), 0)} req/s, p50 ${fmt(mean(rs, (r) => r.p50), 1)} ms, p99 ${fmt(max(rs, (r) => r.p99), 1)} ms (worst round), ${fmt(mean(rs, (r) => r.cpuUs), 0)} µs CPU per request`;
    console.log(`  bare Koa:  ${summary(koa)}`);
    console.log(`  gateway:   ${summary(gateway)}`);
    console.log(`  L1 / Koa throughput ratio: ${fmt(mean(gateway, (r) => r.rps) / mean(koa, (r) => r.rps))}; CPU per request ratio: ${fmt(mean(gateway, (r) => r.cpuUs) / mean(koa, (r) => r.cpuUs))}`);
    console.log(`  gateway answers: ${sent} sent, ${hits} counted as HIT_L1_EXACT 200 by its /metrics, ${bad} non-2xx or errors`);
    if (hits < sent || bad > 0) process.exitCode = 1;
  } finally {
    reference.stop();
  }
}

async function benchSemantic(url: string, waiter: FillWaiter, n: number): Promise<void> {
  const run = Date.now().toString(36);
  const question = (i: number) => storedQuestion(run, i);
  const rewrite = (i: number) => rewriteOf(question(i));
  const fills: (string | undefined)[] = [];
  for (let i = 0; i < n; i++) fills.push((await chat(url, request(question(i)))).fillId ?? undefined);
  await waiter.waitAll(fills);
  for (const [label, repeat] of [['distinct texts (each embedded once)', false], ['the same texts again (repeated semantic text)', true]] as const) {
    const replies: Reply[] = [];
    for (let i = 0; i < n; i++) replies.push(await chat(url, request(rewrite(i))));
    const hits = replies.filter((r) => r.status === 'HIT_L3_VERIFIED');
    const p = percentiles(hits.map((r) => r.ms));
    console.log(`L2+L3 semantic hit, ${label}, sequential: n=${p.n} p50 ${fmt(p.p50)} ms p95 ${fmt(p.p95)} ms p99 ${fmt(p.p99)} ms (${hits.length}/${n} HIT_L3_VERIFIED) | load ${load1()}${repeat ? '' : ''}`);
    if (hits.length < n) process.exitCode = 1;
  }
}

async function main(): Promise<void> {
  const { values } = scriptArgs(process.argv.slice(2), {
    summary: 'Hit-path throughput and latency: L1 hits against a bare Koa app in the same run, and semantic hits.',
    options: {
      url: { type: 'string', description: 'a running gateway instead of starting the embedded default' },
      temporal: { type: 'string', default: '127.0.0.1:7233', description: 'with --url: its Temporal frontend' },
      seconds: { type: 'string', default: '10', description: 'length of each L1 run' },
      rounds: { type: 'string', default: '3', description: 'L1 rounds, alternating gateway and bare Koa' },
      connections: { type: 'string', default: '32', description: 'concurrent connections' },
      semantic: { type: 'string', default: '100', description: 'questions stored, then asked reworded (at most 2000)' },
      only: { type: 'string', description: 'l1 or semantic: run only that part' },
      profile: { type: 'string', description: 'write CPU profiles of the gateway to this folder' },
    },
  });
  console.log(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const profile = values.profile ? path.resolve(values.profile) : undefined;
  const gateway: BenchGateway | undefined = values.url
    ? undefined
    : await startEmbeddedGateway({ nodeArgs: profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [], keepHome: !!profile });
  const url = values.url ?? gateway!.url;
  const waiter = await FillWaiter.connect(gateway?.temporalAddress ?? values.temporal!, 'default', 2_000, (l) => console.log(l));
  try {
    if (values.only !== 'semantic') await benchL1(url, gateway?.pid, waiter, { seconds: Number(values.seconds), rounds: Number(values.rounds), connections: Number(values.connections) });
    if (values.only !== 'l1') await benchSemantic(url, waiter, Math.min(Number(values.semantic), 2_000));
  } finally {
    await waiter.close();
    await gateway?.stop();
  }
  if (profile) console.log(`gateway CPU profile in ${profile}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
