#!/usr/bin/env node
/**
 * reflex <command>
 *   start    the embedded default: Temporal dev server + Milvus Lite + worker + API
 *   serve    worker + API against an existing Temporal and Milvus
 *   api      the HTTP API only
 *   worker   the fill worker only (and the expiry/eviction sweeper)
 *   replay   [--since 24h] [--dry-run]  finish failed fills from their stored entries
 *   reindex  [--restart] [--reembed]    rebuild the Milvus collection from the entry store
 *   eval     --pairs FILE [--limit N] [--protocol isolated|corpus] [--url URL]  hit quality of a running gateway
 */
import type { Server } from 'node:http';
import { createApp } from '../api/app';
import { Config, ConfigError, loadConfig } from '../config';
import { serveMetrics } from '../ops/metricsServer';
import { parseEvalArgs } from '../tools/eval/args';
import { formatGatewayEval, runGatewayEval } from '../tools/eval/gateway';
import { reindexCommand, replayCommand } from './commands';
import { Sweeper } from '../ops/sweeper';
import { Client, Connection } from '@temporalio/client';
import { MissUpkeep } from '../ops/missUpkeep';
import { ApiServices, Core, createApiServices, createCore, createFillClient, createLogger } from '../services';
import { ManagedProcess } from '../stack/managedProcess';
import { startMilvus } from '../stack/milvus';
import { startTemporal } from '../stack/temporal';
import { createWorker } from '../temporal/worker';

type Role = 'api' | 'worker';

async function main(argv: string[]): Promise<void> {
  const command = argv[0] ?? 'start';
  const config = loadConfig();
  const log = createLogger(config);
  if (command === 'replay') return replayCommand(config, log, argv.slice(1));
  if (command === 'reindex') return reindexCommand(config, log, argv.slice(1));
  if (command === 'eval') return evalCommand(argv.slice(1));
  const stack: ManagedProcess[] = [];
  const roles: Record<string, Role[]> = { start: ['api', 'worker'], serve: ['api', 'worker'], api: ['api'], worker: ['worker'] };
  const selected = roles[command];
  if (!selected) throw new ConfigError(`unknown command '${command}'; expected one of: ${Object.keys(roles).join(', ')}`);

  if (command === 'start') stack.push(...(await startEmbedded(config, log)));
  const core = await createCore(config, log);
  const services = selected.includes('api') ? createApiServices(core) : core;
  const stops: (() => Promise<void>)[] = [];
  if (selected.includes('worker')) stops.push(await runWorker(core), runSweeper(core), runMissUpkeep(core));
  if (command === 'worker' && config.workerMetricsPort) stops.push(await serveMetrics(core.metrics, config.workerMetricsPort, config.bindAddr));
  if (selected.includes('api')) stops.push(await runApi(services as ApiServices));
  onShutdown(async () => {
    await Promise.allSettled(stops.map((s) => s()));
    await services.close();
    await Promise.allSettled(stack.map((p) => p.stop()));
  }, log);
}

async function startEmbedded(config: Config, log: Core['log']): Promise<ManagedProcess[]> {
  log.info('starting the embedded Temporal dev server and Milvus Lite');
  const [temporal, milvus] = await Promise.all([
    startTemporal({ venv: config.venv, address: config.temporal.address, uiPort: config.temporal.uiPort, dataDir: config.dataDir, namespace: config.temporal.namespace }),
    startMilvus({ venv: config.venv, address: config.milvus.address, dataDir: config.dataDir }),
  ]);
  log.info({ temporalUi: `http://127.0.0.1:${config.temporal.uiPort}`, milvus: config.milvus.address }, 'embedded stack up');
  return [temporal, milvus];
}

async function runWorker(core: Core): Promise<() => Promise<void>> {
  const { config, log, metrics } = core;
  const { provider, seal, embedder, store, blobs, index, expiry } = core;
  const activities = { provider, upstreamKey: config.upstream.apiKey, seal, embedder, store, blobs, index, expiry };
  const worker = await createWorker({ ...config.temporal, log, metrics, activities });
  const running = worker.run().catch((err: unknown) => {
    log.fatal({ err }, 'worker stopped');
    process.exit(1);
  });
  log.info({ taskQueue: config.temporal.taskQueue }, 'worker running');
  return async () => {
    worker.shutdown();
    await running;
  };
}

/** Expiry and the storage bound, in the background of each worker (sweeps are idempotent). */
function runSweeper(core: Core): () => Promise<void> {
  const { store, index, expiry, metrics, log, config } = core;
  const sweeper = new Sweeper({ store, index, expiry, maxEntries: config.retention.maxEntries, metrics, log });
  sweeper.start(config.retention.sweepIntervalMs);
  return () => sweeper.stop();
}

/** Outbox draining and claim-check blob cleanup, in the background of each worker (both idempotent). */
function runMissUpkeep(core: Core): () => Promise<void> {
  const { config, log, metrics } = core;
  const connection = Connection.lazy({ address: config.temporal.address });
  const fill = createFillClient(core, new Client({ connection, namespace: config.temporal.namespace }));
  const upkeep = new MissUpkeep({ outbox: core.outbox, blobs: core.blobs, fill, metrics, log });
  upkeep.start();
  return async () => {
    await upkeep.stop();
    await connection.close();
  };
}

async function runApi(services: ApiServices): Promise<() => Promise<void>> {
  const { port, bindAddr } = services.config;
  const server: Server = await new Promise((resolve) => {
    const s = createApp(services).listen(port, bindAddr, () => resolve(s));
  });
  services.log.info({ url: `http://${bindAddr}:${port}` }, 'API listening');
  return () => new Promise((resolve) => server.close(() => resolve()));
}

async function evalCommand(argv: string[]): Promise<void> {
  const args = parseEvalArgs(argv);
  const result = await runGatewayEval({ ...args, log: (line) => process.stderr.write(`${line}\n`) });
  console.log(args.json ? JSON.stringify(result, null, 2) : formatGatewayEval(result));
}

function onShutdown(stop: () => Promise<void>, log: Core['log']): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down');
      void stop().finally(() => process.exit(0));
    });
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
