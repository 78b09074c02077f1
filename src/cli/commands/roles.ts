/**
 * The long-running commands: which roles each runs in this process.
 *   start   the embedded default: Temporal dev server + Milvus Lite + worker + API
 *   serve   worker + API against an existing Temporal and Milvus
 *   api     the HTTP API only
 *   worker  the fill worker only (and the shared chores: sweeper, outbox drain, index repair)
 */
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { authNotice } from '../../auth/authenticate';
import { createHandler } from '../../api/app';
import { createServer } from '../../api/server';
import type { Config } from '../../config';
import { serveMetrics } from '../../ops/metricsServer';
import { Sweeper } from '../../ops/sweeper';
import { Client, Connection } from '@temporalio/client';
import { MissUpkeep } from '../../ops/missUpkeep';
import { IndexRepair } from '../../ops/indexRepair';
import { Leadership } from '../../postgres/leadership';
import { ApiServices, Core, createApiServices, createCore, createFillClient, workflowClient } from '../../services';
import { dataConverter } from '../../temporal/payloadCodec';
import { isLoopback } from '../../api/middleware/codecAccess';
import { ManagedProcess, splitAddress } from '../../ops/stack/managedProcess';
import { startMilvus } from '../../ops/stack/milvus';
import { startTemporal } from '../../ops/stack/temporal';
import { createWorker } from '../../temporal/worker';
import { AnswerBoard } from '../../activities/answerBoard';
import { Judges } from '../../activities/audit';
import { ThreadedEmbedder } from '../../cache/embedding/threadedEmbedder';

type Role = 'api' | 'worker';
export type RoleCommand = 'start' | 'serve' | 'api' | 'worker';

const ROLES: Record<RoleCommand, Role[]> = { start: ['api', 'worker'], serve: ['api', 'worker'], api: ['api'], worker: ['worker'] };

export async function runRoles(command: RoleCommand, config: Config, log: Logger): Promise<void> {
  const selected = ROLES[command];
  const stack: ManagedProcess[] = [];
  if (command === 'start') stack.push(...(await startEmbedded(config, log)));
  const core = await createCore(config, log, { loadModel: selected.includes('api') });
  const answers = answerBoardFor(command);
  const services = selected.includes('api') ? await createApiServices(core, answers) : core;
  const stops: (() => Promise<void>)[] = [];
  if (selected.includes('worker')) stops.push(await runWorker(core, answers, services), ...(await runChores(core)));
  if (command === 'worker' && config.workerMetricsPort) stops.push(await serveMetrics(core.metrics, config.workerMetricsPort, config.bindAddr));
  // The embedded UI binds where Temporal does; see api/middleware/codecAccess.ts for the rule.
  const codecLoopbackWithoutToken = command === 'start' && isLoopback(config.bindAddr) && isLoopback(splitAddress(config.temporal.address).host);
  if (selected.includes('api')) stops.push(await runApi(services as ApiServices, codecLoopbackWithoutToken));
  onShutdown(async () => {
    await Promise.allSettled(stops.map((s) => s()));
    await services.close();
    await Promise.allSettled(stack.map((p) => p.stop()));
  }, log);
}

/**
 * The board the worker's answers reach this process's waiting misses on
 * (answerBoard.ts): only when both roles run here. An API-only process has no
 * worker posting, and a worker-only one no miss waiting.
 */
export function answerBoardFor(command: RoleCommand): AnswerBoard | undefined {
  const roles = ROLES[command];
  return roles.includes('api') && roles.includes('worker') ? new AnswerBoard() : undefined;
}

async function startEmbedded(config: Config, log: Logger): Promise<ManagedProcess[]> {
  log.info('starting the embedded Temporal dev server and Milvus Lite');
  const [temporal, milvus] = await Promise.all([
    startTemporal({
      venv: config.venv,
      address: config.temporal.address,
      uiPort: config.temporal.uiPort,
      dataDir: config.dataDir,
      namespace: config.temporal.namespace,
      codecEndpoint: `http://${browserHost(config.bindAddr)}:${config.port}/codec`,
    }),
    startMilvus({ venv: config.venv, address: config.milvus.address, dataDir: config.dataDir }),
  ]);
  log.info({ temporalUi: `http://127.0.0.1:${config.temporal.uiPort}`, milvus: config.milvus.address }, 'embedded stack up');
  return [temporal, milvus];
}

/** The API's host as a browser on this machine reaches it: a wildcard bind on loopback, IPv6 in brackets. */
function browserHost(bindAddr: string): string {
  if (bindAddr === '0.0.0.0' || bindAddr === '::') return '127.0.0.1';
  return bindAddr.includes(':') ? `[${bindAddr}]` : bindAddr;
}

/**
 * The worker, restarted while this process lives: when Temporal goes away
 * long enough for the SDK to give up polling, the worker fails; a new one
 * waits for Temporal (createWorker retries its connection) and takes over,
 * so an outage never takes the API of a `serve`/`start` process down with
 * it, and the outbox drains once Temporal is back.
 */
async function runWorker(core: Core, answers: AnswerBoard | undefined, services: Core | ApiServices): Promise<() => Promise<void>> {
  const { config, log, metrics } = core;
  const { provider, seal, embedder, store, blobs, index, expiry, stores } = core;
  // Audits judge on this worker, on an embedding thread of their own: on the lookups' thread a
  // judge's two embeddings would queue in front of the next hit's (BENCHMARKS.md, hit latency with
  // audits). It starts with the first audit that needs it, as a judge's model loads.
  const judgeEmbedder = await ThreadedEmbedder.open(config.model.path, config.model.name, { threads: 1, load: false });
  const audit = { verdicts: stores.verdicts, judges: new Judges({ embedder: judgeEmbedder, provider, verifierModels: config.verifier.model.path, threads: config.model.threads }) };
  const activities = { provider, upstreamKey: config.upstream.apiKey, seal, embedder, store, blobs, index, expiry, answers, audit, removeTenant: (tenant: string) => stores.removeTenant(tenant) };
  const start = async () => {
    const worker = await createWorker({ ...config.temporal, log, metrics, activities, codec: core.codec, tracing: core.tracing });
    // Co-located with the API: its misses start eagerly on this worker's connection (FillClient.startEagerlyOn).
    if (answers && 'fill' in services && worker.connection) services.fill.startEagerlyOn(workflowClient(core, worker.connection));
    log.info({ taskQueue: config.temporal.taskQueue }, 'worker running');
    return worker;
  };
  let worker = await start();
  let stopping = false;
  const supervised = (async () => {
    for (let failures = 0; ; failures++) {
      const startedAt = Date.now();
      const failure = await worker.run().then(() => undefined, (err: unknown) => err);
      await worker.connection?.close().catch(() => undefined);
      if (stopping) return;
      if (Date.now() - startedAt > 60_000) failures = 0; // it ran a good while: back off from the start again
      log.error({ err: failure ?? 'worker stopped', failures }, 'worker stopped; starting a new one once Temporal answers');
      await new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** failures, 30_000)));
      if (stopping) return;
      // Should creating it fail for another reason, the old (failed) worker fails again at once: the loop backs off and retries.
      worker = await start().catch((err: unknown) => (log.error({ err }, 'worker could not be created'), worker));
    }
  })();
  return async () => {
    stopping = true;
    try {
      worker.shutdown();
    } catch {
      // Not running (failed, or being replaced): nothing to stop.
    }
    // A replacement still waiting for Temporal never finishes starting: do not wait on it forever.
    await Promise.race([supervised, new Promise((r) => setTimeout(r, 15_000).unref())]);
    await judgeEmbedder.close();
  };
}

/**
 * The shared chores — sweeper, outbox drain and blob cleanup, index repair —
 * in the background of the worker that leads (postgres/leadership: one at a
 * time across hosts). Without PostgreSQL every worker runs them, as on one
 * host with shared files (each is idempotent).
 */
async function runChores(core: Core): Promise<(() => Promise<void>)[]> {
  const leadership = core.config.databaseUrl ? new Leadership(core.config.databaseUrl, core.log) : undefined;
  await leadership?.start();
  const leading = leadership ? () => leadership.isLeader : undefined;
  return [runSweeper(core, leading), runMissUpkeep(core, leading), runIndexRepair(core, leading), async () => leadership?.stop()];
}

/** Expiry and the storage bound. */
function runSweeper(core: Core, leading?: () => boolean): () => Promise<void> {
  const { store, index, expiry, metrics, log, config } = core;
  const embeddings = { store: core.vectors, maxItems: config.retention.maxEmbeddings };
  const sweeper = new Sweeper({ store, index, expiry, maxEntries: config.retention.maxEntries, embeddings, metrics, log, leading });
  sweeper.start(config.retention.sweepIntervalMs);
  return () => sweeper.stop();
}

/** Entries the vector index lost, re-inserted from the store (ops/indexRepair.ts). */
function runIndexRepair(core: Core, leading?: () => boolean): () => Promise<void> {
  const { store, index, expiry, metrics, log, config } = core;
  const repair = new IndexRepair({ store, index, expiry, metrics, log, ...config.retention.repair, leading });
  repair.start();
  return () => repair.stop();
}

/** Outbox draining and claim-check blob cleanup. */
function runMissUpkeep(core: Core, leading?: () => boolean): () => Promise<void> {
  const { config, log, metrics } = core;
  const connection = Connection.lazy({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter: dataConverter(core.codec) });
  const upkeep = new MissUpkeep({ outbox: core.outbox, blobs: core.blobs, fill: createFillClient(core, client), metrics, log, leading });
  upkeep.start();
  return async () => {
    await upkeep.stop();
    await connection.close();
  };
}

async function runApi(services: ApiServices, codecLoopbackWithoutToken: boolean): Promise<() => Promise<void>> {
  const { port, bindAddr } = services.config;
  const server: Server = createServer(createHandler(services, { codecLoopbackWithoutToken }), services.log);
  await new Promise<void>((resolve) => server.listen(port, bindAddr, resolve));
  services.log.info({ url: `http://${bindAddr}:${port}` }, 'API listening');
  const auth = authNotice(services.config.auth.mode, services.config.upstream.apiKey);
  services.log[auth.level]({ auth: services.config.auth.mode }, auth.message);
  return () => new Promise((resolve) => server.close(() => resolve()));
}

function onShutdown(stop: () => Promise<void>, log: Logger): void {
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
