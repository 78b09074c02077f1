/**
 * `reflex replay`: finish failed fills' indexing from their stored entries.
 * Needs Temporal only (a worker running elsewhere does the work); prints a
 * summary as one JSON line on stdout.
 */
import { Client, Connection } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Config } from '../../config';
import { VisibilitySupport } from '../../temporal/visibilitySupport';
import { MaintenanceClient } from '../../temporal/maintenanceClient';
import { dataConverter, EncryptionCodec } from '../../temporal/payloadCodec';
import { replayFailedFills } from '../../ops/replay';

/** A replay must end even when the fill's own budget was unlimited. */
const REPLAY_DEFAULT_ATTEMPTS = 10;

export interface ReplayOptions {
  /** Only fills closed within this many ms; undefined = all of them. */
  sinceMs?: number;
  dryRun: boolean;
}

export async function replayCommand(config: Config, log: Logger, opts: ReplayOptions): Promise<void> {
  const connection = await Connection.connect({ address: config.temporal.address });
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter: dataConverter(EncryptionCodec.fromConfig(config)) });
    const maintenance = new MaintenanceClient(client, config.temporal.taskQueue, new VisibilitySupport(connection, config.temporal.namespace, log));
    const report = await replayFailedFills(
      client,
      maintenance,
      { sinceMs: opts.sinceMs, dryRun: opts.dryRun, indexMaxAttempts: config.indexMaxAttempts || REPLAY_DEFAULT_ATTEMPTS },
      (fill, result) => log.info({ workflowId: fill.workflowId, runId: fill.runId, result }, 'replay'),
    );
    process.stdout.write(`${JSON.stringify({ command: 'replay', dryRun: opts.dryRun, ...report })}\n`);
  } finally {
    await connection.close();
  }
}
