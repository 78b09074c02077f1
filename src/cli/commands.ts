/**
 * The operator commands behind `reflex replay` and `reflex reindex`: argument
 * parsing, the connections each needs (replay: Temporal only, with a worker
 * running elsewhere; reindex: storage, Milvus and the model), and a summary
 * printed as one JSON line on stdout.
 */
import { Client, Connection } from '@temporalio/client';
import { Presets, SingleBar } from 'cli-progress';
import ms from 'ms';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { ConfigError, type Config } from '../config';
import { TransformersEmbedder } from '../cache/embedding/embedder';
import { VisibilitySupport } from '../temporal/visibilitySupport';
import { EntryStore } from '../cache/storage/entryStore';
import { Expiry } from '../cache/storage/expiry';
import { MilvusIndex } from '../vectordb/milvus';
import { MaintenanceClient } from '../temporal/maintenanceClient';
import { dataConverter, EncryptionCodec } from '../temporal/payloadCodec';
import { reindex, ReindexProgress } from '../ops/reindex';
import { replayFailedFills } from '../ops/replay';

/** A replay must end even when the fill's own budget was unlimited. */
const REPLAY_DEFAULT_ATTEMPTS = 10;

export async function replayCommand(config: Config, log: Logger, argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { since: { type: 'string' }, 'dry-run': { type: 'boolean', default: false } } });
  const sinceMs = values.since === undefined ? undefined : duration(values.since);
  const connection = await Connection.connect({ address: config.temporal.address });
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter: dataConverter(EncryptionCodec.fromConfig(config)) });
    const maintenance = new MaintenanceClient(client, config.temporal.taskQueue, new VisibilitySupport(connection, config.temporal.namespace, log));
    const report = await replayFailedFills(
      client,
      maintenance,
      { sinceMs, dryRun: values['dry-run'] ?? false, indexMaxAttempts: config.indexMaxAttempts || REPLAY_DEFAULT_ATTEMPTS },
      (fill, result) => log.info({ workflowId: fill.workflowId, runId: fill.runId, result }, 'replay'),
    );
    process.stdout.write(`${JSON.stringify({ command: 'replay', dryRun: values['dry-run'], ...report })}\n`);
  } finally {
    await connection.close();
  }
}

export async function reindexCommand(config: Config, log: Logger, argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { restart: { type: 'boolean', default: false }, reembed: { type: 'boolean', default: false } } });
  const embedder = await TransformersEmbedder.load(config.model.path, config.model.name);
  const index = new MilvusIndex({ ...config.milvus, dim: embedder.dim });
  try {
    const summary = await reindex(
      {
        store: new EntryStore(config.storagePath),
        index,
        embedder,
        expiry: Expiry.fromSeconds(config.retention.ttlSeconds),
        checkpointFile: path.join(config.dataDir, `reindex-${config.milvus.collection}.json`),
      },
      { restart: values.restart, reembed: values.reembed },
      progressBar(),
    );
    log.info(summary, 'reindex finished');
    process.stdout.write(`${JSON.stringify({ command: 'reindex', ...summary })}\n`);
  } finally {
    await index.close();
  }
}

function progressBar(): ReindexProgress {
  const bar = new SingleBar({ format: 'reindex [{bar}] {percentage}% {value}/{total} entries, eta {eta}s', stream: process.stderr }, Presets.shades_classic);
  return { start: (total, done) => bar.start(total, done), advance: (by) => bar.increment(by), stop: () => bar.stop() };
}

function duration(text: string): number {
  const parsed = ms(text as ms.StringValue);
  if (typeof parsed !== 'number' || !(parsed > 0)) throw new ConfigError(`--since expects a duration such as 30m, 24h or 7d; got '${text}'`);
  return parsed;
}
