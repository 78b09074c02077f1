/**
 * Maintenance workflows: finishing a failed fill from its stored entry
 * (replay), and invalidation (one entry, a whole tenant). Each step is an
 * idempotent activity, so a crash mid-way resumes where it stopped. None of
 * them ever calls the provider.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { FillActivities } from '../activities';
import type { DeleteInput, DeleteResult, PurgeInput, ReplayInput, ReplayOutcome } from './maintenanceDefinitions';
import { metrics, record } from './observe';

const retry = { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s' } as const;

export async function replayFillWorkflow(input: ReplayInput): Promise<ReplayOutcome> {
  metrics.workflowStarted('replay');
  const acts = proxyActivities<FillActivities>({ summary: 'index the stored entry (Milvus)', startToCloseTimeout: '30s', retry: { ...retry, maximumAttempts: input.indexMaxAttempts || undefined } });
  const outcome = await acts.indexStoredEntry({ tenant: input.tenant, key: input.key });
  record({ replayOf: input.replayOf, steps: { index: outcome === 'indexed' ? 'done' : 'skipped' } }, outcome);
  metrics.workflowFinished('replay', outcome);
  return outcome;
}

export async function deleteEntryWorkflow(input: DeleteInput): Promise<DeleteResult> {
  metrics.workflowStarted('delete');
  const acts = proxyActivities<FillActivities>({ startToCloseTimeout: '1m', retry });
  // Storage first: from then on no replica can load it, even through a stale index hit.
  const removed = await acts.removeEntry({ tenant: input.tenant, key: input.key });
  record({ steps: { store: 'done' } });
  await acts.unindexEntry({ tenant: input.tenant, key: input.key });
  record({ steps: { store: 'done', index: 'done' } }, removed ? 'deleted' : 'absent');
  metrics.workflowFinished('delete', removed ? 'deleted' : 'absent');
  return { removed: removed ? 1 : 0 };
}

export async function purgeTenantWorkflow(input: PurgeInput): Promise<DeleteResult> {
  metrics.workflowStarted('purge');
  const acts = proxyActivities<FillActivities>({ startToCloseTimeout: '10m', retry });
  const removed = await acts.removeTenant({ tenant: input.tenant });
  record({ steps: { store: 'done' }, removed });
  await acts.unindexTenant({ tenant: input.tenant });
  record({ steps: { store: 'done', index: 'done' }, removed }, 'purged');
  metrics.workflowFinished('purge', 'purged');
  return { removed };
}
