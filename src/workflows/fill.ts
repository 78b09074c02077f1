/**
 * cacheFillWorkflow: one cache miss, end to end, durably, with Temporal
 * history holding references only (claim check).
 *
 * The API writes the request to the entry store's blobs and calls
 * update-with-start with its reference. In the first workflow task a local
 * activity checks storage for an answer an earlier run already stored, else
 * calls the provider (retried by the provider rule: 429/5xx/transport only)
 * and writes the answer as a blob; the `answer` update then returns that
 * reference in the same task. A worker that dies mid-call loses the task,
 * and the task's retry runs the local activity again. Only then does the
 * workflow store the entry (embedding it if the API could not) and index it
 * in one retried activity; a failed index is retried on its own. Identical
 * concurrent misses share the workflow id, so they share one provider call.
 * Orchestration only.
 */
import { ApplicationFailure, condition, log, patched, proxyActivities, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type { FillActivities, StoreCall } from '../activities';
import {
  AnswerAsk,
  AnswerRef,
  CLAIM_CHECK_PATCH,
  FillInput,
  FillResult,
  FillStatus,
  LegacyFillInput,
  ONE_WRITE_STEP_PATCH,
  PRESUMED_OUTCOME,
  PROVIDER_FAILURE_TYPE,
  answerUpdate,
  isLegacyInput,
  statusQuery,
} from './definitions';
import { legacyFill } from './fillLegacy';
import { failureDetails, finish, providerRetry, writeStep } from './fillSteps';
import { metrics, record } from './observe';
import type { ProviderFailure } from '../provider/failure';

export async function cacheFillWorkflow(input: FillInput | LegacyFillInput): Promise<FillResult> {
  if (isLegacyInput(input)) return legacyFill(input);
  // A one-task fill is newer than every patch: it records none.
  if (!input.inOneTask && !patched(CLAIM_CHECK_PATCH)) return legacyFill(input as unknown as LegacyFillInput);
  return claimCheckFill(input);
}

async function claimCheckFill(input: FillInput): Promise<FillResult> {
  const steps: FillStatus = { provider: 'pending', embed: 'pending', store: 'pending', index: 'pending' };
  let answer: AnswerRef | undefined;
  let failure: ProviderFailure | undefined;
  let callers = 0;

  metrics.workflowStarted('fill');
  log.info('fill started', { requestId: input.requestId, tenant: input.tenant, model: input.model });
  setHandler(statusQuery, () => steps);
  setHandler(answerUpdate, async (ask?: AnswerAsk) => {
    if (++callers > 1) metrics.coalesced();
    await condition(() => answer !== undefined || failure !== undefined);
    if (failure) throw ApplicationFailure.create({ message: failure.body.error.message, type: PROVIDER_FAILURE_TYPE, nonRetryable: true, details: [failure] });
    // The result only leaves in the update's outcome (no command): runs recorded before this replay as they did.
    return input.starter && ask?.caller !== input.starter ? { ...answer!, joined: true } : answer!;
  });

  const acts = activitiesFor(input);
  // A refresh (replace) or a no-store request asked for a fresh answer, so it
  // skips the guard against paying twice for an answer already stored.
  const guarded = !input.replace && input.store !== false;
  let obtained;
  try {
    obtained = await acts.local.obtainAnswer({
      tenant: input.tenant,
      key: input.key,
      requestRef: input.requestRef,
      answerRef: input.answerRef,
      sealedToken: input.sealedToken,
      guarded,
      requestId: input.requestId,
      ...(input.endpoint ? { endpoint: input.endpoint } : {}),
      maxAttempts: input.policy.providerMaxAttempts,
    });
  } catch (err) {
    failure = failureDetails(err);
    steps.provider = 'failed';
    return finish('provider_failed', steps);
  }
  if (obtained.source === 'stored') {
    answer = { stored: true };
    steps.provider = steps.embed = steps.store = steps.index = 'skipped';
    return finish('already_cached', steps);
  }
  answer = { answerRef: obtained.answerRef };
  steps.provider = obtained.source === 'provider' ? 'done' : 'skipped';

  if (input.store === false || !obtained.cacheable) {
    steps.embed = steps.store = steps.index = 'skipped';
    return finish(input.store === false ? 'not_stored' : 'not_cacheable', steps);
  }

  await writeEntry(acts, input, obtained.answerRef, steps);
  return finish('cached', steps, input.outcomeAtStart ? PRESUMED_OUTCOME : undefined);
}

/**
 * Store, then index: since ONE_WRITE_STEP_PATCH one activity does both (in a
 * one-task fill, a local activity first), and the index activity only
 * retries a failed index.
 */
async function writeEntry(acts: ReturnType<typeof activitiesFor>, input: FillInput, answerRef: string, steps: FillStatus): Promise<void> {
  const address = { tenant: input.tenant, key: input.key };
  const store = { ...address, requestRef: input.requestRef, answerRef };
  let indexed = false;
  if (input.inOneTask) {
    indexed = await writeInTask(acts, store, steps);
  } else if (patched(ONE_WRITE_STEP_PATCH)) {
    await writeStep(steps, 'store', acts.store.storeAndIndexEntry(store).then((r) => void (indexed = r.indexed)));
  } else {
    await writeStep(steps, 'store', acts.store.storeEntry(store));
  }
  steps.embed = input.embedded ? 'skipped' : 'done';
  if (indexed) {
    steps.index = 'done';
    return;
  }
  record({ steps: { ...steps } });
  await writeStep(steps, 'index', acts.index.indexStoredEntry(address).then(() => undefined));
}

/**
 * The write as a local activity in the task that got the answer; one that
 * fails there (a few quick tries) goes to the store activity, with its full
 * retry budget and its failure visible in the UI, as before.
 */
async function writeInTask(acts: ReturnType<typeof activitiesFor>, store: StoreCall, steps: FillStatus): Promise<boolean> {
  try {
    const { indexed } = await acts.localWrite.storeAndIndexEntry(store);
    steps.store = 'done';
    return indexed;
  } catch {
    let indexed = false;
    await writeStep(steps, 'store', acts.store.storeAndIndexEntry(store).then((r) => void (indexed = r.indexed)));
    return indexed;
  }
}

function activitiesFor(input: FillInput) {
  return {
    // Summaries name each step in the UI's timeline (encrypted like every payload).
    local: proxyLocalActivities<FillActivities>({
      summary: input.answerRef ? 'answer handed over (no provider call)' : `provider call: ${input.model}`,
      startToCloseTimeout: input.policy.providerTimeoutMs + 5_000,
      retry: { ...providerRetry, maximumAttempts: input.policy.providerMaxAttempts, nonRetryableErrorTypes: ['ProviderClientError', 'RequestBlobMissing'] },
    }),
    localWrite: proxyLocalActivities<FillActivities>({ summary: 'store + index, in the answer\'s task', startToCloseTimeout: '10s', retry: { initialInterval: '100ms', maximumAttempts: 3 } }),
    // Storing includes embedding when the API had no vector.
    store: proxyActivities<FillActivities>({ summary: input.embedded ? 'store + index' : 'embed, store + index', startToCloseTimeout: '1m', retry: { ...providerRetry, maximumInterval: '10s', maximumAttempts: 50 } }),
    index: proxyActivities<FillActivities>({
      summary: 'index the stored entry (Milvus)',
      startToCloseTimeout: '30s',
      // Temporal reads an absent maximumAttempts as "no limit".
      retry: { ...providerRetry, maximumAttempts: input.policy.indexMaxAttempts || undefined },
    }),
  };
}
