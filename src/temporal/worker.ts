/**
 * The Temporal worker: runs fill and maintenance workflows and their
 * activities. Tiny by design; the activities get the stage instances the
 * composition root built.
 */
import type { Context as ActivityContext } from '@temporalio/activity';
import { InjectedSinks, NativeConnection, Worker } from '@temporalio/worker';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { ActivityDeps, createActivities } from '../activities';
import type { Metrics } from '../metrics';
import { dataConverter } from './payloadCodec';
import type { PayloadCodec } from '@temporalio/common';
import { activityLogs, installTemporalLogger } from './logs';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowExporter,
  makeWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import type { Tracing } from '../tracing';
import { metricsSinks, upstreamCallCounter } from './workerMetrics';
import { workflowCode } from './workflowBundle';

export interface WorkerOptions {
  address: string;
  namespace: string;
  taskQueue: string;
  log: Logger;
  metrics: Metrics;
  activities: ActivityDeps;
  /** When set, workflows and activities continue the trace their starter sent in the headers. */
  tracing?: Tracing;
  /** Runs outside the workflow sandbox, on the worker's side of the wire. */
  codec: PayloadCodec;
  /** REFLEX_WORKFLOW_WATCHDOG_MS; 0 = none. */
  workflowWatchdogMs: number;
  /** REFLEX_WORKER_FILLS: fills in flight at once. */
  workerFills: number;
  /** REFLEX_WORKFLOW_STACK_TRACES: answer the stack-trace query (a trace per workflow promise). */
  workflowStackTraces: boolean;
}

export async function createWorker(options: WorkerOptions): Promise<Worker> {
  const { log, metrics } = options;
  installTemporalLogger(log);
  const connection = await connectWithRetry(options.address, log);
  promiseStackTraces(options.workflowStackTraces, log);
  // Only a tracing worker bundles the workflow interceptors; they add spans, never commands.
  const interceptorModules = options.tracing ? [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')] : [];
  return Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    ...workflowCode(interceptorModules),
    ...sandboxWatchdog(options.workflowWatchdogMs, log),
    ...fillSlots(options.workerFills),
    activities: createActivities(options.activities),
    dataConverter: dataConverter(options.codec),
    sinks: { ...metricsSinks(metrics), ...tracingSinks(options.tracing) },
    interceptors: {
      activity: [upstreamCallCounter(metrics), activityLogs(log), ...activityTracing(options.tracing)],
      workflowModules: interceptorModules,
    },
  });
}

/**
 * The SDK bounds every call into the workflow sandbox with vm's `timeout`,
 * and Node starts a watchdog thread for each such call: ~270 µs a call here,
 * ~3 ms of a fill's first workflow task on an idle machine and ~20 ms on a
 * busy one (BENCHMARKS.md, issue 9). Our
 * workflows only orchestrate and are covered by tests, so by default there is
 * no watchdog: a workflow that looped forever would hang the worker's workflow
 * thread instead of failing its task (a value restores the SDK's bound).
 * patches/@temporalio+worker makes the SDK read 0 as "no timeout".
 */
export function sandboxWatchdog(ms: number, log: Pick<Logger, 'warn'>, patched = sdkReadsZeroAsNoTimeout): { isolateExecutionTimeout?: number } {
  if (ms > 0) return { isolateExecutionTimeout: ms };
  if (patched()) return { isolateExecutionTimeout: 0 };
  // Unpatched (an install that skipped postinstall): 0 would make every activation throw, so keep the SDK's bound.
  log.warn('the installed @temporalio/worker lacks patches/@temporalio+worker (run npm ci with scripts); keeping its 5 s sandbox watchdog');
  return {};
}

/** Whether the installed SDK file `lib/workflow/<file>` carries patches/@temporalio+worker's `marker`. */
const sdkPatched = (file: string, marker: string): boolean =>
  readFileSync(path.join(path.dirname(require.resolve('@temporalio/worker/package.json')), 'lib', 'workflow', file), 'utf8').includes(marker);

export const sdkReadsZeroAsNoTimeout = (): boolean => sdkPatched('reusable-vm.js', 'isolateExecutionTimeoutMs > 0 ? isolateExecutionTimeoutMs : undefined');

/**
 * The SDK's promise hook builds a source-mapped stack trace for every promise
 * a workflow creates, to answer the stack-trace query (the UI's "Stack Trace"
 * tab of a running workflow). For fills that live milliseconds that was about
 * a third of the workflow thread's CPU under load (BENCHMARKS.md, misses under
 * load), so it is off unless REFLEX_WORKFLOW_STACK_TRACES=1; the query then
 * answers with no frames. Failures keep their stack traces either way.
 * patches/@temporalio+worker makes the SDK read the variable; the workflow
 * threads inherit it from this process.
 */
export function promiseStackTraces(enabled: boolean, log: Pick<Logger, 'warn'>, patched = () => sdkPatched('vm-shared.js', 'TEMPORAL_WORKFLOW_PROMISE_STACK_TRACES')): void {
  if (enabled) {
    delete process.env.TEMPORAL_WORKFLOW_PROMISE_STACK_TRACES;
    return;
  }
  if (!patched()) log.warn('the installed @temporalio/worker lacks patches/@temporalio+worker (run npm ci with scripts); workflow promise stack traces stay on');
  process.env.TEMPORAL_WORKFLOW_PROMISE_STACK_TRACES = '0';
}

/**
 * A fill's first workflow task stays open while its local activity waits on
 * the provider (seconds, for an LLM), holding a workflow-task slot and a
 * local-activity slot all along; the rest of the fill is milliseconds of
 * work. Slots are sized by fills in flight, not by CPU: with the SDK's
 * default of 40, the 41st concurrent miss waited in Temporal's queue for a
 * free slot before its provider call even started, and lost its eager start.
 * The cache must hold every open run (the SDK caps the slots at its size).
 */
export const fillSlots = (fills: number) => ({
  maxConcurrentWorkflowTaskExecutions: fills,
  maxConcurrentLocalActivityExecutions: fills,
  maxCachedWorkflows: Math.max(fills, 2),
});

/** Workflow spans leave the sandbox through a sink into the same processor as every other span. */
const tracingSinks = (tracing: Tracing | undefined): Partial<InjectedSinks<{ exporter: OpenTelemetryWorkflowExporter }>> =>
  tracing ? { exporter: makeWorkflowExporter(tracing.processor, tracing.resource) } : {};

const activityTracing = (tracing: Tracing | undefined) =>
  tracing
    ? [(ctx: ActivityContext) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx, { tracer: tracing.tracer }), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })]
    : [];

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
