/**
 * auditHitWorkflow: one served semantic hit, asked again (issue 28). The
 * provider answers the hit's own request; a judge compares that fresh answer
 * with the one served and appends the verdict; a wrong hit may be repaired
 * (the fresh answer stored as the asked question's own entry). Started by
 * the API after the hit was answered, so it never delays it. Each step is an
 * idempotent activity: the provider call reuses an answer this run already
 * stored (one call per audit across worker or Temporal restarts), a verdict
 * is appended under the run's id (counted once), a repair overwrites.
 * Orchestration only.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { AuditActivities } from '../activities/audit';
import type { AuditInput, AuditResult } from './auditDefinitions';
import { providerRetry } from './fillSteps';
import { metrics, record } from './observe';

export async function auditHitWorkflow(input: AuditInput): Promise<AuditResult> {
  metrics.workflowStarted('audit');
  const acts = activitiesFor(input);
  const fresh = await acts.provider.askAgain({ tenant: input.tenant, requestRef: input.requestRef, sealedToken: input.sealedToken, requestId: input.requestId });
  record({ steps: { provider: 'done' } });
  // An answer that may not be cached (an error, a truncation) is judged, never stored.
  const repair = input.repair && fresh.cacheable;
  const verdict = await acts.judge.judgeHit({ ...input, repair, freshRef: fresh.answerRef });
  if (verdict.outcome === 'entry_gone') return finish({ outcome: 'entry_gone' });
  if (!verdict.wrong || !repair) return finish({ outcome: verdict.wrong ? 'wrong' : 'right', score: verdict.score });
  await acts.judge.repairEntry({ tenant: input.tenant, key: input.key, requestRef: input.requestRef, answerRef: fresh.answerRef });
  return finish({ outcome: 'wrong_repaired', score: verdict.score });
}

function finish(result: AuditResult): AuditResult {
  record({ steps: { provider: 'done', judge: 'done', repair: result.outcome === 'wrong_repaired' ? 'done' : 'skipped' } }, result.outcome);
  metrics.workflowFinished('audit', result.outcome);
  return result;
}

function activitiesFor(input: AuditInput) {
  return {
    provider: proxyActivities<AuditActivities>({
      summary: `provider call (audit): ${input.model}`,
      startToCloseTimeout: input.policy.providerTimeoutMs + 5_000,
      retry: { ...providerRetry, maximumAttempts: input.policy.providerMaxAttempts, nonRetryableErrorTypes: ['ProviderClientError', 'RequestBlobMissing'] },
    }),
    // Judging loads a model on first use; storing retries like a fill's store.
    judge: proxyActivities<AuditActivities>({
      summary: `judge (${input.judge}), record the verdict`,
      startToCloseTimeout: '2m',
      retry: { ...providerRetry, maximumInterval: '10s', maximumAttempts: 20 },
    }),
  };
}
