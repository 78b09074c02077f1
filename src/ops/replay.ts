/**
 * `reflex replay`: finds fills that ended without a complete entry (store or
 * index budget exhausted, or terminated) through Temporal visibility, and
 * completes each from its stored entry with a replay workflow. The provider
 * is never called. Running it twice changes nothing: each failed run has one
 * replay id, and a completed replay is never repeated.
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { FILL_WORKFLOW, storingFillOf } from '../workflows/definitions';
import type { ReplayOutcome } from '../workflows/maintenanceDefinitions';
import type { MaintenanceClient } from '../temporal/maintenanceClient';
import { reflexAttributes } from '../workflows/visibility';

export interface ReplayOptions {
  /** Only fills that closed within this many ms; undefined = all Temporal still retains. */
  sinceMs?: number;
  dryRun: boolean;
  indexMaxAttempts: number;
  concurrency?: number;
}

export interface FailedFill {
  workflowId: string;
  runId: string;
  tenant: string;
  key: string;
  status: string;
  /** From the failed run's ReflexModel search attribute, where the cluster has it. */
  model?: string;
}

export type ReplayReport = Record<ReplayOutcome | 'already_replayed' | 'would_replay' | 'errors', number> & { found: number };

export function failedFillsQuery(sinceMs?: number, now = Date.now()): string {
  const statuses = ['Failed', 'Terminated', 'TimedOut'].map((s) => `ExecutionStatus = '${s}'`).join(' OR ');
  const since = sinceMs === undefined ? '' : ` AND CloseTime >= '${new Date(now - sinceMs).toISOString()}'`;
  return `WorkflowType = '${FILL_WORKFLOW}' AND (${statuses})${since}`;
}

export async function* findFailedFills(client: Client, sinceMs?: number): AsyncGenerator<FailedFill> {
  for await (const info of client.workflow.list({ query: failedFillsQuery(sinceMs) })) {
    const fill = asFailedFill(info);
    if (fill) yield fill;
  }
}

/** Tenant and key come from the id itself (fills and refreshes; no-store fills never stored anything). */
function asFailedFill(info: WorkflowExecutionInfo): FailedFill | undefined {
  const fill = storingFillOf(info.workflowId);
  if (!fill) return undefined;
  const model = info.typedSearchAttributes.get(reflexAttributes.model);
  return { workflowId: info.workflowId, runId: info.runId, ...fill, status: info.status.name, ...(model ? { model } : {}) };
}

export async function replayFailedFills(
  client: Client,
  maintenance: MaintenanceClient,
  options: ReplayOptions,
  onEach: (fill: FailedFill, result: string) => void = () => undefined,
): Promise<ReplayReport> {
  const report: ReplayReport = { found: 0, indexed: 0, nothing_stored: 0, already_replayed: 0, would_replay: 0, errors: 0 };
  const fills: FailedFill[] = [];
  for await (const fill of findFailedFills(client, options.sinceMs)) fills.push(fill);
  report.found = fills.length;
  await forEachLimited(fills, options.concurrency ?? 8, async (fill) => {
    const result = await replayOne(maintenance, fill, options).catch((err: unknown) => `error: ${err instanceof Error ? err.message : String(err)}`);
    if (result in report) report[result as keyof ReplayReport]++;
    else report.errors++;
    onEach(fill, result);
  });
  return report;
}

async function replayOne(maintenance: MaintenanceClient, fill: FailedFill, options: ReplayOptions): Promise<string> {
  if (options.dryRun) return (await maintenance.replayed(fill.tenant, fill.key, fill.runId)) ? 'already_replayed' : 'would_replay';
  return maintenance.replay({
    tenant: fill.tenant,
    key: fill.key,
    replayOf: { workflowId: fill.workflowId, runId: fill.runId },
    indexMaxAttempts: options.indexMaxAttempts,
  }, fill.model);
}

async function forEachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(lanes);
}
