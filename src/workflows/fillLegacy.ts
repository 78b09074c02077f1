/**
 * The fill as it ran before the claim check (CLAIM_CHECK_PATCH): kept, command
 * for command, so runs started with a LegacyFillInput still replay. Retire it
 * with deprecatePatch once none is open (docs/workflows.md).
 *
 * Early-return pattern: the API calls update-with-start; the `answer` update
 * returns as soon as the provider has answered, while the workflow goes on
 * to embed (only if the API did not pass the vector), store the entry and
 * index it. Identical concurrent misses share the workflow id, so they share
 * one provider call. Orchestration only: every side effect is an activity.
 */
import { ApplicationFailure, condition, log, proxyActivities, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type { FillActivities } from '../activities';
import { isCacheable } from '../provider/cacheability';
import { FillResult, FillStatus, LegacyFillInput, PROVIDER_FAILURE_TYPE, answerUpdate, statusQuery } from './definitions';
import { failureDetails, finish, providerRetry, writeStep } from './fillSteps';
import { metrics, record } from './observe';
import type { ProviderFailure } from '../provider/failure';
import type { ChatCompletion } from '../wire/chat';

export async function legacyFill(input: LegacyFillInput): Promise<FillResult> {
  const steps: FillStatus = { provider: 'pending', embed: 'pending', store: 'pending', index: 'pending' };
  let answer: ChatCompletion | undefined;
  let failure: ProviderFailure | undefined;
  let callers = 0;

  metrics.workflowStarted('fill');
  log.info('fill started', { requestId: input.requestId, tenant: input.tenant, model: input.model });
  setHandler(statusQuery, () => steps);
  setHandler(answerUpdate, async () => {
    if (++callers > 1) metrics.coalesced();
    await condition(() => answer !== undefined || failure !== undefined);
    if (failure) throw ApplicationFailure.create({ message: failure.body.error.message, type: PROVIDER_FAILURE_TYPE, nonRetryable: true, details: [failure] });
    return answer!;
  });

  const acts = activitiesFor(input);
  // A request that missed L1 just before an identical fill finished starts a
  // new run under the same id; it must not pay the provider a second time.
  // A refresh (replace) or a no-store request asked for a fresh answer, so it skips this guard.
  const guarded = !input.replace && input.store !== false;
  const stored = guarded ? await acts.local.readStoredAnswer({ tenant: input.tenant, key: input.key }).catch(() => null) : null;
  if (stored) {
    answer = stored;
    steps.provider = steps.embed = steps.store = steps.index = 'skipped';
    return finish('already_cached', steps);
  }
  if (input.prefetched) {
    // A streamed miss: the API already has the provider's complete answer; never ask twice.
    answer = input.prefetched;
    steps.provider = 'skipped';
  } else {
    try {
      // The endpoint joins the activity's input only when set, so chat fills schedule exactly what they always did.
      const endpoint = input.endpoint ? { endpoint: input.endpoint } : {};
      answer = await acts.provider.callProvider({ request: input.request, sealedToken: input.sealedToken, requestId: input.requestId, ...endpoint });
      steps.provider = 'done';
    } catch (err) {
      failure = failureDetails(err);
      steps.provider = 'failed';
      return finish('provider_failed', steps);
    }
  }

  if (input.store === false || !isCacheable(answer)) {
    steps.embed = steps.store = steps.index = 'skipped';
    return finish(input.store === false ? 'not_stored' : 'not_cacheable', steps);
  }

  const embedding = input.embedding ?? (await acts.embed.embed(input.semanticText));
  steps.embed = input.embedding ? 'skipped' : 'done';
  const createdAt = Date.now();
  const storing = acts.store.writeEntry({
    version: 1,
    tenant: input.tenant,
    key: input.key,
    context: input.context,
    model: input.model,
    createdAt,
    semanticText: input.semanticText,
    embedding,
    response: answer,
  });
  await writeStep(steps, 'store', storing);
  record({ steps: { ...steps } });
  const indexCall = { tenant: input.tenant, key: input.key, model: input.model, context: input.context, createdAt, embedding, requestId: input.requestId };
  await writeStep(steps, 'index', acts.index.indexEntry(indexCall));
  return finish('cached', steps);
}

function activitiesFor(input: LegacyFillInput) {
  const retry = providerRetry;
  return {
    local: proxyLocalActivities<FillActivities>({ startToCloseTimeout: '5s', retry: { maximumAttempts: 2 } }),
    provider: proxyActivities<FillActivities>({
      startToCloseTimeout: input.policy.providerTimeoutMs + 5_000,
      retry: { ...retry, maximumAttempts: input.policy.providerMaxAttempts, nonRetryableErrorTypes: ['ProviderClientError'] },
    }),
    embed: proxyActivities<FillActivities>({ startToCloseTimeout: '1m', retry: { ...retry, maximumAttempts: 5 } }),
    store: proxyActivities<FillActivities>({ startToCloseTimeout: '1m', retry: { ...retry, maximumInterval: '10s', maximumAttempts: 50 } }),
    index: proxyActivities<FillActivities>({
      startToCloseTimeout: '30s',
      // Temporal reads an absent maximumAttempts as "no limit".
      retry: { ...retry, maximumAttempts: input.policy.indexMaxAttempts || undefined },
    }),
  };
}
