/**
 * Resident memory of the gateway's processes, idle and after load:
 *   node dist-bench/bench/memory.js [--connections 64] [--seconds 15] [--settle 10] [--set K=V ...]
 * 1. `reflex start` (the embedded default) with the mock provider: its RSS
 *    `--settle` seconds after /ready, then after `--connections` clients of
 *    new questions for `--seconds` (RSS now and its peak, VmHWM).
 * 2. `reflex api` and `reflex worker` as separate processes on a Temporal dev
 *    server and Milvus Lite of their own, the same way: each one's RSS idle
 *    and after the load (sent to the API; the worker fills the misses).
 * The Temporal and Milvus processes are reported beside them.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { freePort, ManagedProcess } from '../src/ops/stack/managedProcess';
import { startMilvus } from '../src/ops/stack/milvus';
import { startTemporal } from '../src/ops/stack/temporal';
import { closedLoop } from './closedLoop';
import { startEmbeddedGateway } from './gatewayProcess';
import { newQuestion } from './prompts';

const REPO = path.resolve(__dirname, '..', '..'); // dist-bench/bench → the repository
const VENV = process.env.REFLEX_VENV ?? path.join(REPO, '.reflex', 'venv');
const MODELS = process.env.REFLEX_MODEL_PATH ?? path.join(REPO, '.reflex', 'models');

const USAGE = `usage: node dist-bench/bench/memory.js [--connections N] [--seconds S] [--settle S] [--set REFLEX_X=V ...] [--node-arg FLAG ...]`;

interface Options {
  connections: number;
  seconds: number;
  settle: number;
  env: Record<string, string>;
  nodeArgs: string[];
}

/** VmRSS and VmHWM (peak) of a process, in MB. */
function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(/(\d+) kB/.exec(status.split('\n').find((l) => l.startsWith(field)) ?? '')?.[1] ?? NaN);
  return { rss: kb('VmRSS:') / 1024, peak: kb('VmHWM:') / 1024 };
}

const mb = (n: number) => `${n.toFixed(0)} MB`;
const row = (label: string, pid: number) => {
  const m = memory(pid);
  return `${label} ${mb(m.rss)} (peak ${mb(m.peak)})`;
};

async function load(url: string, opts: Options, run: string): Promise<string> {
  let i = 0;
  const done = await closedLoop(url + '/v1', opts.connections, opts.seconds, () => ({ question: newQuestion(run, i++), kind: 'miss' }));
  const ok = done.answered.filter((a) => a.code === 200).length;
  return `${ok}/${done.answered.length} answered 200 in ${done.seconds.toFixed(1)} s`;
}

async function embedded(opts: Options): Promise<void> {
  const gateway = await startEmbeddedGateway({ env: { REFLEX_LOG_LEVEL: 'warn', ...opts.env }, nodeArgs: opts.nodeArgs });
  try {
    await sleep(opts.settle * 1000);
    console.log(`reflex start, idle: ${row('gateway', gateway.pid!)}`);
    const result = await load(gateway.url, opts, `mem${Date.now().toString(36)}`);
    await sleep(2_000);
    console.log(`reflex start, after ${opts.connections} clients (${result}): ${row('gateway', gateway.pid!)}`);
  } finally {
    await gateway.stop();
  }
}

/** `reflex <role>` as a child process on the given stack; resolves once its /ready (api) or its log says it runs (worker). */
async function role(name: 'api' | 'worker', env: Record<string, string>, home: string, nodeArgs: string[]): Promise<ChildProcess> {
  const log = openSync(path.join(home, `${name}.log`), 'a');
  const child = spawn(process.execPath, [...nodeArgs, path.join(REPO, 'dist', 'cli', 'index.js'), name], { env: { ...process.env, ...env }, stdio: ['ignore', log, log] });
  closeSync(log);
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`reflex ${name} exited with ${child.exitCode}; see ${home}/${name}.log`);
    if (name === 'worker' ? readFileSync(path.join(home, 'worker.log'), 'utf8').includes('worker running') : await fetch(`http://127.0.0.1:${env.REFLEX_PORT}/ready`).then((r) => r.ok, () => false)) return child;
    await sleep(250);
  }
  child.kill('SIGKILL');
  throw new Error(`reflex ${name} not up after 120 s; see ${home}/${name}.log`);
}

async function separate(opts: Options): Promise<void> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'reflex-memory-'));
  const [port, temporalPort, uiPort, milvusPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const stack: ManagedProcess[] = [];
  const children: ChildProcess[] = [];
  try {
    const dataDir = path.join(home, 'data');
    stack.push(await startTemporal({ venv: VENV, address: `127.0.0.1:${temporalPort}`, uiPort, headless: true, dataDir, namespace: 'default' }));
    stack.push(await startMilvus({ venv: VENV, address: `127.0.0.1:${milvusPort}`, dataDir }));
    const env = {
      REFLEX_HOME: home, REFLEX_VENV: VENV, REFLEX_MODEL_PATH: MODELS, REFLEX_PORT: String(port), REFLEX_MOCK_PROVIDER: '1', REFLEX_LOG_LEVEL: 'info',
      REFLEX_TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`, REFLEX_MILVUS_ADDRESS: `127.0.0.1:${milvusPort}`, ...opts.env,
    };
    const worker = await role('worker', env, home, opts.nodeArgs);
    const api = await role('api', env, home, opts.nodeArgs);
    children.push(worker, api);
    await sleep(opts.settle * 1000);
    console.log(`reflex api + reflex worker, idle: ${row('api', api.pid!)}, ${row('worker', worker.pid!)}`);
    const result = await load(`http://127.0.0.1:${port}`, opts, `sep${Date.now().toString(36)}`);
    await sleep(2_000);
    console.log(`reflex api + reflex worker, after ${opts.connections} clients (${result}): ${row('api', api.pid!)}, ${row('worker', worker.pid!)}`);
    console.log(`  beside them: ${stack.map((p) => row(p.spec.name, p.pid!)).join(', ')}`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
    await Promise.allSettled(stack.map((p) => p.stop()));
    rmSync(home, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      connections: { type: 'string', default: '64' },
      seconds: { type: 'string', default: '15' },
      settle: { type: 'string', default: '10' },
      set: { type: 'string', multiple: true, default: [] },
      'node-arg': { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const env = Object.fromEntries(values.set.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  const opts: Options = { connections: Number(values.connections), seconds: Number(values.seconds), settle: Number(values.settle), env, nodeArgs: values['node-arg'] };
  console.log(`machine: ${os.cpus().length} cores, node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  await embedded(opts);
  await separate(opts);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
