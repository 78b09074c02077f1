/**
 * Inputs, results and ids of the maintenance workflows (replay, delete,
 * purge). Types and pure functions only, shared by the workflow bundle and
 * the code that starts them.
 */
export const REPLAY_WORKFLOW = 'replayFillWorkflow';
export const DELETE_WORKFLOW = 'deleteEntryWorkflow';
export const PURGE_WORKFLOW = 'purgeTenantWorkflow';

export interface ReplayInput {
  tenant: string;
  key: string;
  /** The failed fill this run completes. */
  replayOf: { workflowId: string; runId: string };
  /** 0 = keep retrying until Milvus answers. */
  indexMaxAttempts: number;
}

export type { ReplayOutcome } from '../activities/maintenance';

export interface DeleteInput {
  tenant: string;
  key: string;
  requestId?: string;
}

export interface PurgeInput {
  tenant: string;
  requestId?: string;
}

export interface DeleteResult {
  removed: number;
}

/** One replay per failed run: replaying twice finds the earlier replay's id taken and changes nothing. */
export const replayWorkflowId = (tenant: string, key: string, runId: string) => `replay-${tenant}-${key}-${runId}`;
export const deleteWorkflowId = (tenant: string, key: string) => `delete-${tenant}-${key}`;
export const purgeWorkflowId = (tenant: string) => `purge-${tenant}`;
