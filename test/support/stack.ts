/**
 * The real services for end-to-end tests: a Temporal dev server and Milvus
 * Lite, started by the project's own stack code on free ports in a temp dir.
 * Milvus can be stopped and restarted to test degradation; Temporal can also
 * be frozen and killed, so that what a worker sent it is never processed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManagedProcess } from '../../src/ops/stack/managedProcess';
import { startMilvus } from '../../src/ops/stack/milvus';
import { startTemporal } from '../../src/ops/stack/temporal';
import { freePort } from './ports';

export const REPO = path.resolve(__dirname, '../..');
export const VENV = path.join(REPO, '.reflex', 'venv');
export const MODELS = path.join(REPO, '.reflex', 'models');

export interface TestStack {
  home: string;
  temporalAddress: string;
  /** The dev server's Web UI, when started with { ui: true }. */
  uiPort: number;
  milvusAddress: string;
  stopTemporal(): Promise<void>;
  startTemporal(): Promise<void>;
  /** SIGSTOP: Temporal accepts nothing more (calls to it hang) until killTemporal. */
  freezeTemporal(): void;
  /** SIGKILL: a crash; whatever reached it while frozen is lost, its database keeps what it had committed. */
  killTemporal(): Promise<void>;
  stopMilvus(): Promise<void>;
  startMilvus(): Promise<void>;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Start the dev server's Web UI too (on uiPort); tests that follow links into it. */
  ui?: boolean;
}

export async function startStack(options: StackOptions = {}): Promise<TestStack> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'reflex-e2e-'));
  const dataDir = path.join(home, 'data');
  const temporalAddress = `127.0.0.1:${await freePort()}`;
  const uiPort = await freePort();
  const temporalOptions = { venv: VENV, address: temporalAddress, uiPort, headless: !options.ui, dataDir, namespace: 'default' };
  let temporal: ManagedProcess | undefined = await startTemporal(temporalOptions);
  // Chosen once Temporal listens: the dev server binds free ports of its own besides the ones it is given,
  // and one picked before it started could be taken by then (a CI run failed so: "already in use").
  const milvusAddress = `127.0.0.1:${await freePort()}`;
  let milvus: ManagedProcess | undefined = await startMilvus({ venv: VENV, address: milvusAddress, dataDir }).catch(async (err: unknown) => {
    await temporal?.stop(); // else it outlives the failed start and keeps jest from exiting
    throw err;
  });
  return {
    home,
    temporalAddress,
    milvusAddress,
    uiPort,
    async stopTemporal() {
      await temporal?.stop();
      temporal = undefined;
    },
    async startTemporal() {
      temporal ??= await startTemporal(temporalOptions);
    },
    freezeTemporal() {
      if (temporal?.pid) process.kill(-temporal.pid, 'SIGSTOP');
    },
    async killTemporal() {
      if (!temporal?.pid) return;
      process.kill(-temporal.pid, 'SIGKILL');
      await temporal.whenExited();
      temporal = undefined;
    },
    async stopMilvus() {
      await milvus?.stop();
      milvus = undefined;
    },
    async startMilvus() {
      milvus ??= await startMilvus({ venv: VENV, address: milvusAddress, dataDir });
    },
    async stop() {
      await Promise.allSettled([temporal?.stop(), milvus?.stop()]);
      // KEEP_E2E=1 keeps the stack's home (gateway.log, data) to read after a failed run.
      if (!process.env.KEEP_E2E) rmSync(home, { recursive: true, force: true });
    },
  };
}
