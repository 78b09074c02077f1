/**
 * The embedded default (`reflex start`: Temporal dev server, Milvus Lite,
 * worker and API in one process) as a child of a benchmark, on free loopback
 * ports in a temporary REFLEX_HOME, with the mock provider. Benchmarks that
 * are given --url target a running gateway instead and start nothing.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../src/ops/stack/managedProcess';

const REPO = path.resolve(__dirname, '..', '..'); // dist-bench/bench → the repository

export interface BenchGateway {
  url: string;
  temporalAddress: string;
  milvusAddress: string;
  home: string;
  pid?: number;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Extra REFLEX_* settings. */
  env?: Record<string, string>;
  /** Extra node flags for the gateway (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Keep the temporary REFLEX_HOME after stop (for logs and profiles). */
  keepHome?: boolean;
  /** Another checkout's build to run (its dist/), to compare builds side by side; default: this one. */
  repo?: string;
}

/** Starts `reflex start` with REFLEX_MOCK_PROVIDER=1 and waits until /ready answers 200. */
export async function startEmbeddedGateway(options: StartOptions = {}): Promise<BenchGateway> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'reflex-bench-'));
  const [port, temporalPort, uiPort, milvusPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const temporalAddress = `127.0.0.1:${temporalPort}`;
  const milvusAddress = `127.0.0.1:${milvusPort}`;
  // Straight into a file, as `npm start > file` would: piping through this process would make the
  // benchmark's own client read every log line.
  const log = openSync(path.join(home, 'gateway.log'), 'a');
  // As `npm start` runs it: no Node flags, so the benchmarks measure what runs.
  const repo = options.repo ?? REPO;
  const child: ChildProcess = spawn(process.execPath, [...(options.nodeArgs ?? []), path.join(repo, 'dist', 'cli', 'index.js'), 'start'], {
    env: {
      ...process.env,
      REFLEX_HOME: home,
      REFLEX_VENV: process.env.REFLEX_VENV ?? path.join(REPO, '.reflex', 'venv'),
      REFLEX_MODEL_PATH: process.env.REFLEX_MODEL_PATH ?? path.join(REPO, '.reflex', 'models'),
      REFLEX_PORT: String(port),
      REFLEX_TEMPORAL_ADDRESS: temporalAddress,
      REFLEX_TEMPORAL_UI_PORT: String(uiPort),
      REFLEX_MILVUS_ADDRESS: milvusAddress,
      REFLEX_MOCK_PROVIDER: '1',
      ...options.env,
    },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    if (!options.keepHome) rmSync(home, { recursive: true, force: true });
  };
  try {
    await waitReady(url, child, home);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, temporalAddress, milvusAddress, home, pid: child.pid, stop };
}

async function waitReady(url: string, child: ChildProcess, home: string): Promise<void> {
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode}; see ${home}/gateway.log`);
    try {
      if ((await fetch(`${url}/ready`)).status === 200) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`gateway not ready after 180 s; see ${home}/gateway.log`);
}
