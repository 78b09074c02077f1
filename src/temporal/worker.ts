/**
 * The Temporal worker: runs fill workflows and their activities. Tiny by
 * design; the activities get the same stage instances the API uses.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { activityLogs, installTemporalLogger } from './logs';
import { metricsSinks, upstreamCallCounter } from './workerMetrics';
import type { Services } from '../services';
import { setTimeout as sleep } from 'node:timers/promises';

export async function createWorker(services: Services): Promise<Worker> {
  const { config, log } = services;
  installTemporalLogger(log);
  const connection = await connectWithRetry(config.temporal.address, log);
  return Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowsPath: require.resolve('../workflows'),
    activities: createActivities({
      provider: services.provider,
      upstreamKey: config.upstream.apiKey,
      seal: services.seal,
      embedder: async () => services.embedder,
      store: services.store,
      index: services.index,
      expiry: services.expiry,
    }),
    sinks: metricsSinks(services.metrics),
    interceptors: { activity: [upstreamCallCounter(services.metrics), activityLogs(log)] },
  });
}

/** A worker that starts before Temporal waits for it instead of dying. */
async function connectWithRetry(address: string, log: Services['log']): Promise<NativeConnection> {
  for (let delay = 500; ; delay = Math.min(delay * 2, 5_000)) {
    try {
      return await NativeConnection.connect({ address });
    } catch (err) {
      log.warn({ address, err: String(err) }, 'Temporal not reachable yet; worker retrying');
      await sleep(delay);
    }
  }
}
