/**
 * The Temporal worker: runs fill and maintenance workflows and their
 * activities. Tiny by design; the activities get the stage instances the
 * composition root built.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { ActivityDeps, createActivities } from '../activities';
import type { Metrics } from '../metrics';
import { dataConverter } from './payloadCodec';
import type { PayloadCodec } from '@temporalio/common';
import { activityLogs, installTemporalLogger } from './logs';
import { metricsSinks, upstreamCallCounter } from './workerMetrics';

export interface WorkerOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  log: Logger;
  metrics: Metrics;
  activities: ActivityDeps;
  /** Runs outside the workflow sandbox, on the worker's side of the wire. */
  codec: PayloadCodec;
}

export async function createWorker(options: WorkerOptions): Promise<Worker> {
  const { log, metrics } = options;
  installTemporalLogger(log);
  const connection = await connectWithRetry(options.address, log);
  return Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    workflowsPath: require.resolve('../workflows'),
    activities: createActivities(options.activities),
    dataConverter: dataConverter(options.codec),
    sinks: metricsSinks(metrics),
    interceptors: { activity: [upstreamCallCounter(metrics), activityLogs(log)] },
  });
}

/** A worker that starts before Temporal waits for it instead of dying. */
async function connectWithRetry(address: string, log: Logger): Promise<NativeConnection> {
  for (let delay = 500; ; delay = Math.min(delay * 2, 5_000)) {
    try {
      return await NativeConnection.connect({ address });
    } catch (err) {
      log.warn({ address, err: String(err) }, 'Temporal not reachable yet; worker retrying');
      await sleep(delay);
    }
  }
}
