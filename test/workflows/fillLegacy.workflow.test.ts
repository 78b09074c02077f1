/**
 * cacheFillWorkflow's legacy path (runs started with a LegacyFillInput, from
 * before the claim check) against a local Temporal dev server with fake
 * activities: every outcome, the early return, coalescing and prefetched
 * answers. Its histories are saved as *.pre-fill-claim-check.json; retire
 * this file with the legacy path (docs/workflows.md).
 */
import { Client, WorkflowFailedError, WorkflowUpdateFailedError, WorkflowUpdateStage } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  FILL_WORKFLOW,
  LegacyFillInput as FillInput,
  PROVIDER_FAILURE_TYPE,
  WRITE_FAILURE_TYPE,
  answerUpdate,
  fillWorkflowId,
  statusQuery,
} from '../../src/workflows/definitions';
import type { ProviderFailure } from '../../src/provider/failure';
import type { cacheFillWorkflow } from '../../src/workflows/fill';
import { reflexAttributes } from '../../src/workflows/visibility';
import { eventually } from '../support/eventually';
import { ChatCompletion, FakeActivities, SinkLog, completion, contentOf, finishOf, useTestEnv, legacyFillInput as fillInput, gate, recordHistory, withWorker, miss as fillMiss, startOperation } from './support';

const t = useTestEnv();
let client: Client;

beforeAll(() => {
  client = t.env.client;
});

const miss = (taskQueue: string, input: FillInput) => fillMiss(client, taskQueue, input);

const providerFailure = (status: number): ProviderFailure => ({
  status,
  retryable: status >= 500,
  body: { error: { message: `provider says ${status}`, type: 'invalid_request_error', param: 'messages', code: 'bad_thing' } },
});

describe('cacheFillWorkflow outcomes', () => {
  test('cached: answers, stores the entry, indexes it (embedding from the API, so no embed call)', async () => {
    const fakes = new FakeActivities({ callProvider: async () => completion('stop', 'fresh answer') });
    const sinks = new SinkLog();
    const input = fillInput();
    const { answer, result, handle } = await withWorker(t.env, fakes, (tq) => miss(tq, input), sinks);

    expect(answer.ok && contentOf(answer.value)).toBe('fresh answer');
    expect(result).toEqual({ ok: true, value: { outcome: 'cached', steps: { provider: 'done', embed: 'skipped', store: 'done', index: 'done' } } });
    expect(fakes.names()).toEqual(['readStoredAnswer', 'callProvider', 'writeEntry', 'indexEntry']);
    expect(fakes.argsOf('callProvider')[0]).toMatchObject({ request: input.request });
    const [entry] = fakes.argsOf('writeEntry') as [Record<string, unknown>];
    expect(entry).toMatchObject({ version: 1, tenant: input.tenant, key: input.key, context: 'ctx', model: 'gpt-4o-mini', embedding: input.embedding });
    expect(contentOf(entry.response as ChatCompletion)).toBe('fresh answer');
    const [indexed] = fakes.argsOf('indexEntry') as [Record<string, unknown>];
    expect(indexed).toMatchObject({ tenant: input.tenant, key: input.key, createdAt: entry.createdAt, embedding: input.embedding });

    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(reflexAttributes.outcome)).toBe('cached');
    expect(await description.memo).toMatchObject({ outcome: 'cached', steps: { store: 'done', index: 'done' } });
    expect(sinks.calls).toEqual(['started:fill', 'finished:fill:cached']);
    await recordHistory(handle, 'fill-cached.pre-fill-claim-check');
  });

  test('cached without an embedding from the API: the workflow embeds the semantic text', async () => {
    const fakes = new FakeActivities({ embed: async () => [1, 2, 3] });
    const input = fillInput({ embedding: undefined });
    const { result, handle } = await withWorker(t.env, fakes, (tq) => miss(tq, input));

    expect(result).toEqual({ ok: true, value: { outcome: 'cached', steps: { provider: 'done', embed: 'done', store: 'done', index: 'done' } } });
    expect(fakes.argsOf('embed')).toEqual([input.semanticText]);
    expect(fakes.argsOf('writeEntry')[0]).toMatchObject({ embedding: [1, 2, 3] });
    expect(fakes.argsOf('indexEntry')[0]).toMatchObject({ embedding: [1, 2, 3] });
    await recordHistory(handle, 'fill-cached-embedded.pre-fill-claim-check');
  });

  test('a Responses API fill: the endpoint reaches the provider activity, a completed response is stored as it came', async () => {
    const response = { id: 'resp_1', object: 'response', status: 'completed', output: [{ type: 'message', id: 'msg_1', role: 'assistant', content: [{ type: 'output_text', text: 'hi' }] }] };
    const fakes = new FakeActivities({ callProvider: async () => response });
    const input = fillInput({ endpoint: 'responses', request: { model: 'gpt-4o-mini', input: 'hello' } });
    const { answer, result, handle } = await withWorker(t.env, fakes, (tq) => miss(tq, input));

    expect(answer).toEqual({ ok: true, value: response });
    expect(result).toEqual({ ok: true, value: { outcome: 'cached', steps: { provider: 'done', embed: 'skipped', store: 'done', index: 'done' } } });
    expect(fakes.argsOf('callProvider')[0]).toEqual(expect.objectContaining({ endpoint: 'responses', request: input.request }));
    expect((fakes.argsOf('writeEntry')[0] as { response: unknown }).response).toEqual(response);
    await recordHistory(handle, 'fill-responses-cached');
  });

  test('a Responses API fill whose response is incomplete answers but stores nothing; chat fills send no endpoint', async () => {
    const incomplete = { id: 'resp_2', object: 'response', status: 'incomplete', output: [{ type: 'message', content: [] }] };
    const fakes = new FakeActivities({ callProvider: async () => incomplete });
    const { result } = await withWorker(t.env, fakes, (tq) => miss(tq, fillInput({ endpoint: 'responses' })));
    expect(result).toMatchObject({ ok: true, value: { outcome: 'not_cacheable' } });
    const chat = new FakeActivities();
    await withWorker(t.env, chat, (tq) => miss(tq, fillInput()));
    expect(chat.argsOf('callProvider')[0]).not.toHaveProperty('endpoint');
  });

  test('already_cached: a stored answer is returned and the provider is not called', async () => {
    const fakes = new FakeActivities({ readStoredAnswer: async () => completion('stop', 'stored answer') });
    const sinks = new SinkLog();
    const input = fillInput();
    const { answer, result, handle } = await withWorker(t.env, fakes, (tq) => miss(tq, input), sinks);

    expect(answer.ok && contentOf(answer.value)).toBe('stored answer');
    expect(result).toEqual({ ok: true, value: { outcome: 'already_cached', steps: { provider: 'skipped', embed: 'skipped', store: 'skipped', index: 'skipped' } } });
    expect(fakes.names()).toEqual(['readStoredAnswer']);
    expect(fakes.argsOf('readStoredAnswer')).toEqual([{ tenant: input.tenant, key: input.key }]);
    expect(sinks.calls).toEqual(['started:fill', 'finished:fill:already_cached']);
    await recordHistory(handle, 'fill-already-cached.pre-fill-claim-check');
  });

  test('a refresh (replace) skips the stored-answer guard and asks the provider', async () => {
    const fakes = new FakeActivities({ readStoredAnswer: async () => completion('stop', 'stale') });
    const input = fillInput({ replace: true });
    const { answer, result } = await withWorker(t.env, fakes, (tq) => miss(tq, input));

    expect(answer.ok && contentOf(answer.value)).toBe(contentOf(completion('stop')));
    expect(result.ok && result.value.outcome).toBe('cached');
    expect(fakes.names()).toEqual(['callProvider', 'writeEntry', 'indexEntry']);
  });

  test('provider_failed: the update rejects with the provider status and body; nothing is stored', async () => {
    const details = providerFailure(401);
    const fakes = new FakeActivities({
      callProvider: async () => {
        throw ApplicationFailure.create({ message: 'provider says 401', type: 'ProviderClientError', nonRetryable: true, details: [details] });
      },
    });
    const input = fillInput({ policy: { providerMaxAttempts: 3, providerTimeoutMs: 5_000, indexMaxAttempts: 1 } });
    const { answer, result, handle } = await withWorker(t.env, fakes, (tq) => miss(tq, input));

    expect(answer.ok).toBe(false);
    const error = !answer.ok ? answer.error : undefined;
    expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
    const cause = (error as WorkflowUpdateFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe(PROVIDER_FAILURE_TYPE);
    expect((cause as ApplicationFailure).message).toBe('provider says 401');
    expect((cause as ApplicationFailure).details?.[0]).toEqual(details);
    // A client error is not retried, whatever the attempt budget.
    expect(fakes.names()).toEqual(['readStoredAnswer', 'callProvider']);
    expect(result).toEqual({ ok: true, value: { outcome: 'provider_failed', steps: { provider: 'failed', embed: 'pending', store: 'pending', index: 'pending' } } });
    await recordHistory(handle, 'fill-provider-failed.pre-fill-claim-check');
  });

  test('provider_failed by a transport error: retried within its budget, then status 0 and retryable', async () => {
    const fakes = new FakeActivities({
      callProvider: async () => {
        throw new Error('ECONNREFUSED');
      },
    });
    const input = fillInput({ policy: { providerMaxAttempts: 2, providerTimeoutMs: 5_000, indexMaxAttempts: 1 } });
    const { answer, result } = await withWorker(t.env, fakes, (tq) => miss(tq, input));

    const cause = !answer.ok ? ((answer.error as WorkflowUpdateFailedError).cause as ApplicationFailure) : undefined;
    expect(cause?.details?.[0]).toMatchObject({ status: 0, retryable: true, body: { error: { message: 'ECONNREFUSED', type: 'api_error' } } });
    expect(fakes.names().filter((n) => n === 'callProvider')).toHaveLength(2);
    expect(result.ok && result.value.outcome).toBe('provider_failed');
  });

  test('not_stored: a no-store request is answered, never embedded, stored or indexed', async () => {
    const fakes = new FakeActivities({ readStoredAnswer: async () => completion('stop', 'stored answer') });
    const input = fillInput({ store: false });
    const { answer, result, handle } = await withWorker(t.env, fakes, (tq) => miss(tq, input));

    expect(handle.workflowId).toMatch(/-nostore$/);
    expect(answer.ok && contentOf(answer.value)).toBe(contentOf(completion('stop')));
    expect(result).toEqual({ ok: true, value: { outcome: 'not_stored', steps: { provider: 'done', embed: 'skipped', store: 'skipped', index: 'skipped' } } });
    expect(fakes.names()).toEqual(['callProvider']);
    await recordHistory(handle, 'fill-not-stored.pre-fill-claim-check');
  });

  test('not_cacheable: a truncated answer is returned but not stored', async () => {
    const fakes = new FakeActivities({ callProvider: async () => completion('length') });
    const input = fillInput();
    const { answer, result, handle } = await withWorker(t.env, fakes, (tq) => miss(tq, input));

    expect(answer.ok && finishOf(answer.value)).toBe('length');
    expect(result).toEqual({ ok: true, value: { outcome: 'not_cacheable', steps: { provider: 'done', embed: 'skipped', store: 'skipped', index: 'skipped' } } });
    expect(fakes.names()).toEqual(['readStoredAnswer', 'callProvider']);
    await recordHistory(handle, 'fill-not-cacheable.pre-fill-claim-check');
  });

  test('store_failed: the client has its answer; the run fails as EntryWriteFailed and nothing is indexed', async () => {
    const fakes = new FakeActivities({
      writeEntry: async () => {
        throw ApplicationFailure.nonRetryable('disk full', 'StorageError');
      },
    });
    const sinks = new SinkLog();
    const input = fillInput();
    const { answer, result, handle } = await withWorker(t.env, fakes, (tq) => miss(tq, input), sinks);

    expect(answer.ok).toBe(true);
    expect(fakes.names()).toEqual(['readStoredAnswer', 'callProvider', 'writeEntry']);
    const failure = expectWriteFailure(result);
    expect(failure.message).toContain('store step gave up after its retry budget: disk full');
    expect(failure.details?.[0]).toEqual({ step: 'store', steps: { provider: 'done', embed: 'skipped', store: 'failed', index: 'pending' } });
    expect(sinks.calls).toEqual(['started:fill', 'finished:fill:store_failed']);
    await recordHistory(handle, 'fill-store-failed.pre-fill-claim-check');
  });

  test('index_failed: the entry is stored; the run fails as EntryWriteFailed once the index budget is spent', async () => {
    const fakes = new FakeActivities({
      indexEntry: async () => {
        throw new Error('milvus unavailable');
      },
    });
    const input = fillInput({ policy: { providerMaxAttempts: 1, providerTimeoutMs: 5_000, indexMaxAttempts: 2 } });
    const { answer, result, handle } = await withWorker(t.env, fakes, (tq) => miss(tq, input));

    expect(answer.ok).toBe(true);
    expect(fakes.names()).toEqual(['readStoredAnswer', 'callProvider', 'writeEntry', 'indexEntry', 'indexEntry']);
    const failure = expectWriteFailure(result);
    expect(failure.message).toContain('index step gave up after its retry budget: milvus unavailable');
    expect(failure.message).toContain('reflex replay');
    expect(failure.details?.[0]).toEqual({ step: 'index', steps: { provider: 'done', embed: 'skipped', store: 'done', index: 'failed' } });
    expect((await handle.describe()).typedSearchAttributes.get(reflexAttributes.outcome)).toBe('index_failed');
    await recordHistory(handle, 'fill-index-failed.pre-fill-claim-check');
  });
});

function expectWriteFailure(result: { ok: boolean; error?: unknown }): ApplicationFailure {
  expect(result.ok).toBe(false);
  expect(result.error).toBeInstanceOf(WorkflowFailedError);
  const cause = (result.error as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  expect((cause as ApplicationFailure).type).toBe(WRITE_FAILURE_TYPE);
  expect((cause as ApplicationFailure).nonRetryable).toBe(true);
  return cause as ApplicationFailure;
}

describe('cacheFillWorkflow miss-path behaviour', () => {
  test('early return: the answer update completes while indexing is still running', async () => {
    const indexing = gate();
    const fakes = new FakeActivities({ indexEntry: () => indexing.wait });
    const input = fillInput();
    await withWorker(t.env, fakes, async (taskQueue) => {
      const op = startOperation(taskQueue, input);
      const answer = await client.workflow.executeUpdateWithStart(answerUpdate, { startWorkflowOperation: op });
      expect(finishOf(answer)).toBe('stop');
      const handle = await op.workflowHandle();
      await eventually(() => fakes.names().includes('indexEntry'), { what: 'indexEntry started' });
      expect((await handle.describe()).status.name).toBe('RUNNING');
      expect(await handle.query(statusQuery)).toEqual({ provider: 'done', embed: 'skipped', store: 'done', index: 'pending' });
      indexing.open();
      expect((await handle.result()).outcome).toBe('cached');
      expect(await handle.query(statusQuery)).toMatchObject({ index: 'done' });
      await recordHistory(handle, 'fill-early-return.pre-fill-claim-check');
    });
  });

  test('coalescing: two answer updates on one fill share one provider call', async () => {
    const provider = gate();
    const fakes = new FakeActivities({ callProvider: () => provider.wait.then(() => completion('stop', 'shared answer')) });
    const sinks = new SinkLog();
    const input = fillInput();
    await withWorker(
      t.env,
      fakes,
      async (taskQueue) => {
        const first = await client.workflow.startUpdateWithStart(answerUpdate, {
          startWorkflowOperation: startOperation(taskQueue, input),
          waitForStage: WorkflowUpdateStage.ACCEPTED,
        });
        await eventually(() => fakes.names().includes('callProvider'), { what: 'callProvider started' });
        const second = await client.workflow.startUpdateWithStart(answerUpdate, {
          startWorkflowOperation: startOperation(taskQueue, input),
          waitForStage: WorkflowUpdateStage.ACCEPTED,
        });
        expect(second.workflowRunId).toBe(first.workflowRunId);
        provider.open();
        const answers = await Promise.all([first.result(), second.result()]);
        expect(answers.map((a) => contentOf(a))).toEqual(['shared answer', 'shared answer']);
        const handle = client.workflow.getHandle(first.workflowId);
        expect((await handle.result()).outcome).toBe('cached');
        await recordHistory(handle, 'fill-coalesced.pre-fill-claim-check');
      },
      sinks,
    );
    expect(fakes.names().filter((n) => n === 'callProvider')).toHaveLength(1);
    expect(sinks.calls).toEqual(['started:fill', 'coalesced', 'finished:fill:cached']);
  });

  test('prefetched (a streamed miss handed off): stored and indexed without any provider call', async () => {
    const fakes = new FakeActivities();
    const prefetched = completion('stop', 'streamed answer');
    const input = fillInput({ prefetched });
    await withWorker(t.env, fakes, async (taskQueue) => {
      // As FillClient.handOff does it: a plain start, nothing waits for an answer.
      const handle = await client.workflow.start<typeof cacheFillWorkflow>(FILL_WORKFLOW, {
        workflowId: fillWorkflowId(input.tenant, input.key),
        taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      expect(await handle.result()).toEqual({ outcome: 'cached', steps: { provider: 'skipped', embed: 'skipped', store: 'done', index: 'done' } });
      await recordHistory(handle, 'fill-prefetched.pre-fill-claim-check');
    });
    expect(fakes.names()).toEqual(['readStoredAnswer', 'writeEntry', 'indexEntry']);
    expect(fakes.argsOf('writeEntry')[0]).toMatchObject({ response: prefetched });
  });
});
