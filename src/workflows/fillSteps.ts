/**
 * What both fill versions share: the write steps that fail a fill visibly,
 * how a run settles, and how a provider failure is read back from an
 * activity failure. Workflow code: deterministic, no I/O.
 */
import { ActivityFailure, ApplicationFailure, allHandlersFinished, condition } from '@temporalio/workflow';
import { FillFailedOutcome, FillResult, FillStatus, WRITE_FAILURE_TYPE } from './definitions';
import { metrics, record } from './observe';
import { failureFromDetails, type ProviderFailure } from '../provider/failure';
import { PROVIDER_RETRY } from '../provider/retry';

export const providerRetry = {
  initialInterval: PROVIDER_RETRY.initialIntervalMs,
  backoffCoefficient: PROVIDER_RETRY.backoffCoefficient,
  maximumInterval: PROVIDER_RETRY.maximumIntervalMs,
};

/**
 * A store or index step whose retry budget ran out fails the fill, visibly
 * and with the reason: the client already has its answer, and `reflex replay`
 * finishes the entry later from storage, never from the provider.
 */
export async function writeStep(steps: FillStatus, step: 'store' | 'index', work: Promise<void>): Promise<void> {
  try {
    await work;
    steps[step] = 'done';
  } catch (err) {
    steps[step] = 'failed';
    const outcome: FillFailedOutcome = `${step}_failed`;
    const cause = err instanceof ActivityFailure && err.cause ? err.cause.message : String(err);
    const message = `${step} step gave up after its retry budget: ${cause}. ${step === 'index' ? 'The entry is stored; run `reflex replay` to index it.' : 'Nothing was stored.'}`;
    await settle(steps, outcome);
    throw ApplicationFailure.create({ message, type: WRITE_FAILURE_TYPE, nonRetryable: true, details: [{ step, steps }] });
  }
}

/** `presumed`: the outcome the run was started with (FillInput.outcomeAtStart); ending so records nothing more. */
export async function finish(outcome: FillResult['outcome'], steps: FillStatus, presumed?: string): Promise<FillResult> {
  await settle(steps, outcome, presumed);
  return { outcome, steps };
}

async function settle(steps: FillStatus, outcome: string, presumed?: string): Promise<void> {
  if (outcome !== presumed) record({ steps: { ...steps } }, outcome);
  metrics.workflowFinished('fill', outcome);
  // Let a late-arriving `answer` update complete before the run closes.
  await condition(allHandlersFinished);
}

export function failureDetails(err: unknown): ProviderFailure {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  const details = cause instanceof ApplicationFailure ? cause.details?.[0] : undefined;
  return failureFromDetails(details, cause instanceof Error ? cause.message : 'provider call failed');
}
