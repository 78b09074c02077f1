/**
 * Starts the maintenance workflows (delete, purge, replay) with readable
 * ids, the same memo and search attributes as fills, and join-if-running
 * semantics: two admins deleting the same entry share one workflow.
 */
import { Client, WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/common';
import { GatewayError } from '../errors';
import { temporalFailure } from './failures';
import type { VisibilitySupport } from './visibilitySupport';
import { fillDetails, fillSummary } from './fillLabels';
import {
  DELETE_WORKFLOW,
  DeleteResult,
  PURGE_WORKFLOW,
  REPLAY_WORKFLOW,
  ReplayInput,
  ReplayOutcome,
  deleteWorkflowId,
  purgeWorkflowId,
  replayWorkflowId,
} from '../workflows/maintenanceDefinitions';
import { EntryKind, Labels, startAttributes } from '../workflows/visibility';

export class MaintenanceClient {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly visibility: VisibilitySupport,
  ) {}

  async deleteEntry(tenant: string, key: string, requestId?: string): Promise<DeleteResult> {
    const options = await this.options(deleteWorkflowId(tenant, key), { tenant, key, kind: 'delete' }, requestId);
    return this.client.workflow.execute(DELETE_WORKFLOW, { ...options, args: [{ tenant, key, requestId }] });
  }

  async purgeTenant(tenant: string, requestId?: string): Promise<DeleteResult> {
    const options = await this.options(purgeWorkflowId(tenant), { tenant, kind: 'purge' }, requestId);
    return this.client.workflow.execute(PURGE_WORKFLOW, { ...options, args: [{ tenant, requestId }] });
  }

  /**
   * Starts (or, when it is still running, joins) the replay of one failed run.
   * A replay id is never reused once its run completed: `already` means a
   * previous `reflex replay` finished this one.
   */
  async replay(input: ReplayInput, model?: string): Promise<ReplayOutcome | 'already_replayed'> {
    const id = replayWorkflowId(input.tenant, input.key, input.replayOf.runId);
    const options = await this.options(id, { tenant: input.tenant, key: input.key, kind: 'replay' });
    try {
      const handle = await this.client.workflow.start(REPLAY_WORKFLOW, {
        ...options,
        staticSummary: fillSummary({ kind: 'replay', tenant: input.tenant, model }),
        staticDetails: fillDetails({ of: `${input.replayOf.workflowId} (run ${input.replayOf.runId})` }),
        args: [input],
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      });
      return (await handle.result()) as ReplayOutcome;
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return 'already_replayed';
      throw err;
    }
  }

  /** Whether a replay of this run already completed (for --dry-run). */
  async replayed(tenant: string, key: string, runId: string): Promise<boolean> {
    try {
      const described = await this.client.workflow.getHandle(replayWorkflowId(tenant, key, runId)).describe();
      return described.status.name === 'COMPLETED';
    } catch {
      return false;
    }
  }

  private async options(workflowId: string, labels: Labels & { kind: EntryKind }, requestId?: string) {
    const labelled = await this.visibility.available();
    return {
      workflowId,
      taskQueue: this.taskQueue,
      workflowIdConflictPolicy: 'USE_EXISTING' as const,
      memo: { tenant: labels.tenant, key: labels.key ?? null, kind: labels.kind, requestId: requestId ?? null },
      staticSummary: `${labels.kind} · tenant ${labels.tenant}${labels.key ? ` · key ${labels.key.slice(0, 12)}…` : ''}`,
      ...(labelled ? { typedSearchAttributes: startAttributes(labels) } : {}),
    };
  }
}

/**
 * What an admin caller sees when a maintenance workflow did not complete:
 * Temporal answered that the workflow failed (or was terminated, cancelled,
 * timed out) is the gateway's own failure, a 500 naming it; anything else
 * means Temporal could not be asked, a 503 the caller can retry.
 */
export function maintenanceError(kind: 'delete' | 'purge', err: unknown): GatewayError {
  if (!(err instanceof WorkflowFailedError)) return temporalFailure(err);
  const cause = err.cause;
  const how =
    cause instanceof TerminatedFailure ? 'was terminated' : cause instanceof CancelledFailure ? 'was cancelled' : cause instanceof TimeoutFailure ? 'timed out' : 'failed';
  return new GatewayError(500, `The ${kind} workflow ${how}: ${rootMessage(err)}`, 'server_error', 'maintenance_failed');
}

/** The innermost failure's message (an activity's own error sits under ActivityFailure). */
function rootMessage(err: Error): string {
  let e: Error = err;
  while (e.cause instanceof Error) e = e.cause;
  return e.message;
}
