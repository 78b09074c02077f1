/**
 * cacheFillWorkflow (claim check) against a local Temporal dev server with
 * fake activities: every outcome, the early return in the first workflow
 * task (provider call as a local activity), coalescing and prefetched
 * answers, and that history carries references only. With
 * REFLEX_RECORD_HISTORIES=1 each scenario saves its history as a replay
 * fixture (see docs/workflows.md).
 */
import { Client, WorkflowFailedError, WorkflowHandle, WorkflowUpdateStage } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Obtained } from '../../src/activities';
import { FILL_WORKFLOW, FillInput, PROVIDER_FAILURE_TYPE, WRITE_FAILURE_TYPE, answerUpdate, fillWorkflowId, statusQuery } from '../../src/workflows/definitions';
import type { cacheFillWorkflow } from '../../src/workflows/fill';
import { reflexAttributes } from '../../src/workflows/visibility';
import { eventually } from '../support/eventually';
import { FakeActivities, SinkLog, useTestEnv, fillInput, gate, recordHistory, withWorker, miss as fillMiss, startOperation } from './support';

const t = useTestEnv();
let client: Client;

beforeAll(() => {
  client = t.env.client;
});

const ANSWER_REF = 'a'.repeat(64);
const answered = (cacheable = true): Obtained => ({ source: 'provider', answerRef: ANSWER_REF, cacheable });

const miss = (taskQueue: string, input: FillInput) => fillMiss(client, taskQueue, input);

function expectWriteFailure(result: { ok: boolean; error?: unknown }): ApplicationFailure {
  expect(result.ok).toBe(false);
  const cause = (result.error as WorkflowFailedError).cause as ApplicationFailure;
  expect(cause.type).toBe(WRITE_FAILURE_TYPE);
  return cause;
}

describe('cacheFillWorkflow (claim check) outcomes', () => {
  test('cached: the answer update returns a reference; store and index take references; history holds no content', async () => {
    const fakes = new FakeActivities({ obtainAnswer: async () => answered() });
    const sinks = new SinkLog();
    const input = fillInput();
    const { answer, result, handle } = await withWorker(t.env, fakes, (tq) => miss(tq, input), sinks);

    expect(answer).toEqual({ ok: true, value: { answerRef: ANSWER_REF } });
    expect(result).toEqual({ ok: true, value: { outcome: 'cached', steps: { provider: 'done', embed: 'skipped', store: 'done', index: 'done' } } });
    // Store and index are one activity; the index activity runs only when that index try failed.
    expect(fakes.names()).toEqual(['obtainAnswer', 'storeAndIndexEntry']);
    expect(fakes.argsOf('obtainAnswer')[0]).toMatchObject({ tenant: input.tenant, key: input.key, requestRef: input.requestRef, guarded: true });
    expect(fakes.argsOf('storeAndIndexEntry')[0]).toEqual({ tenant: input.tenant, key: input.key, requestRef: input.requestRef, answerRef: ANSWER_REF });
    const history = await handle.fetchHistory();
    // The provider call is a local activity: a marker in the first workflow task, not an activity task.
    expect(history.events?.filter((e) => e.activityTaskScheduledEventAttributes).length).toBe(1);
    expect(history.events?.filter((e) => e.workflowTaskCompletedEventAttributes).length).toBe(2);
    expect(history.events?.some((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')).toBe(true);
    expect((await handle.describe()).typedSearchAttributes.get(reflexAttributes.outcome)).toBe('cached');
    expect(sinks.calls).toEqual(['started:fill', 'finished:fill:cached']);
    await recordHistory(handle, 'fill-cached');
  });

  test('cached without an embedding from the API: the store step embeds (reported as embed done)', async () => {
    const fakes = new FakeActivities();
    const { result, handle } = await withWorker(t.env, fakes, (tq) => miss(tq, fillInput({ embedded: false })));
    expect(result).toEqual({ ok: true, value: { outcome: 'cached', steps: { provider: 'done', embed: 'done', store: 'done', index: 'done' } } });
    await recordHistory(handle, 'fill-cached-embedded');
  });

  test('a Responses API fill: the endpoint reaches the local activity; chat fills send none', async () => {
    const fakes = new FakeActivities();
    await withWorker(t.env, fakes, async (tq) => {
      await miss(tq, fillInput({ endpoint: 'responses' }));
      await miss(tq, fillInput());
    });
    const calls = fakes.calls.filter((c) => c.name === 'obtainAnswer').map((c) => c.args[0]);
    expect(calls[0]).toMatchObject({ endpoint: 'responses' });
    expect(calls[1]).not.toHaveProperty('endpoint');
  });

  test('already_cached: the stored answer is named, nothing else runs', async () => {
    const fakes = new FakeActivities({ obtainAnswer: async () => ({ source: 'stored' }) });
    const { answer, result, handle } = await withWorker(t.env, fakes, (tq) => miss(tq, fillInput()));
    expect(answer).toEqual({ ok: true, value: { stored: true } });
    expect(result).toEqual({ ok: true, value: { outcome: 'already_cached', steps: { provider: 'skipped', embed: 'skipped', store: 'skipped', index: 'skipped' } } });
    expect(fakes.names()).toEqual(['obtainAnswer']);
    await recordHistory(handle, 'fill-already-cached');
  });

  test('a refresh (replace) and a no-store request skip the stored-answer guard', async () => {
    const fakes = new FakeActivities();
    await withWorker(t.env, fakes, async (tq) => {
      await miss(tq, fillInput({ replace: true }));
      const { result, handle } = await miss(tq, fillInput({ store: false }));
      expect(handle.workflowId).toMatch(/-nostore$/);
      expect(result).toEqual({ ok: true, value: { outcome: 'not_stored', steps: { provider: 'done', embed: 'skipped', store: 'skipped', index: 'skipped' } } });
      await recordHistory(handle, 'fill-not-stored');
    });
    expect(fakes.calls.filter((c) => c.name === 'obtainAnswer').map((c) => (c.args[0] as { guarded: boolean }).guarded)).toEqual([false, false]);
  });

  test('provider_failed: a client error is not retried; the update rejects with the provider failure', async () => {
    const details = { status: 401, retryable: false, body: { error: { message: 'provider says 401', type: 'invalid_request_error', param: null, code: null } } };
    const fakes = new FakeActivities({
      obtainAnswer: async () => {
        throw ApplicationFailure.create({ message: 'provider says 401', type: 'ProviderClientError', nonRetryable: true, details: [details] });
      },
    });
    const input = fillInput({ policy: { providerMaxAttempts: 3, providerTimeoutMs: 5_000, indexMaxAttempts: 1 } });
    const { answer, result, handle } = await withWorker(t.env, fakes, (tq) => miss(tq, input));
    const cause = !answer.ok ? ((answer.error as { cause: ApplicationFailure }).cause) : undefined;
    expect(cause?.type).toBe(PROVIDER_FAILURE_TYPE);
    expect(cause?.details?.[0]).toEqual(details);
    expect(fakes.names()).toEqual(['obtainAnswer']);
    expect(result).toEqual({ ok: true, value: { outcome: 'provider_failed', steps: { provider: 'failed', embed: 'pending', store: 'pending', index: 'pending' } } });
    await recordHistory(handle, 'fill-provider-failed');
  });

  test('a transport error is retried within the provider budget (by the local activity)', async () => {
    const fakes = new FakeActivities({
      obtainAnswer: async () => {
        throw new Error('ECONNREFUSED');
      },
    });
    const input = fillInput({ policy: { providerMaxAttempts: 2, providerTimeoutMs: 5_000, indexMaxAttempts: 1 } });
    const { result } = await withWorker(t.env, fakes, (tq) => miss(tq, input));
    expect(fakes.names()).toEqual(['obtainAnswer', 'obtainAnswer']);
    expect(result.ok && result.value.outcome).toBe('provider_failed');
  });

  test('not_cacheable: answered, never stored', async () => {
    const fakes = new FakeActivities({ obtainAnswer: async () => answered(false) });
    const { answer, result, handle } = await withWorker(t.env, fakes, (tq) => miss(tq, fillInput()));
    expect(answer.ok).toBe(true);
    expect(result.ok && result.value.outcome).toBe('not_cacheable');
    expect(fakes.names()).toEqual(['obtainAnswer']);
    await recordHistory(handle, 'fill-not-cacheable');
  });

  test('store_failed and index_failed fail the run as EntryWriteFailed after the answer', async () => {
    const storeFails = new FakeActivities({ storeAndIndexEntry: async () => Promise.reject(ApplicationFailure.nonRetryable('disk full', 'StorageError')) });
    const stored = await withWorker(t.env, storeFails, (tq) => miss(tq, fillInput()));
    expect(stored.answer.ok).toBe(true);
    expect(expectWriteFailure(stored.result).message).toContain('store step gave up after its retry budget: disk full');
    await recordHistory(stored.handle, 'fill-store-failed');

    const indexFails = new FakeActivities({ storeAndIndexEntry: async () => ({ indexed: false }), indexStoredEntry: async () => Promise.reject(new Error('milvus unavailable')) });
    const indexed = await withWorker(t.env, indexFails, (tq) => miss(tq, fillInput({ policy: { providerMaxAttempts: 1, providerTimeoutMs: 5_000, indexMaxAttempts: 2 } })));
    expect(indexFails.names()).toEqual(['obtainAnswer', 'storeAndIndexEntry', 'indexStoredEntry', 'indexStoredEntry']);
    expect(expectWriteFailure(indexed.result).message).toContain('reflex replay');
    await recordHistory(indexed.handle, 'fill-index-failed');
  });
});

describe('cacheFillWorkflow (claim check) index retry', () => {
  test('an index that failed inside the store step is retried by the index activity, and the fill is cached', async () => {
    const fakes = new FakeActivities({ storeAndIndexEntry: async () => ({ indexed: false }) });
    const { result, handle } = await withWorker(t.env, fakes, (tq) => miss(tq, fillInput()));
    expect(result).toEqual({ ok: true, value: { outcome: 'cached', steps: { provider: 'done', embed: 'skipped', store: 'done', index: 'done' } } });
    expect(fakes.names()).toEqual(['obtainAnswer', 'storeAndIndexEntry', 'indexStoredEntry']);
    await recordHistory(handle, 'fill-index-retried');
  });
});

describe('cacheFillWorkflow (claim check) miss-path behaviour', () => {
  test('early return: the answer update completes while storing is still running', async () => {
    const storing = gate();
    const fakes = new FakeActivities({ storeAndIndexEntry: () => storing.wait.then(() => ({ indexed: true })) });
    await withWorker(t.env, fakes, async (taskQueue) => {
      const op = startOperation(taskQueue, fillInput());
      expect(await client.workflow.executeUpdateWithStart(answerUpdate, { startWorkflowOperation: op })).toEqual({ answerRef: ANSWER_REF });
      const handle = await op.workflowHandle();
      await eventually(() => fakes.names().includes('storeAndIndexEntry'), { what: 'storeAndIndexEntry started' });
      expect(await handle.query(statusQuery)).toEqual({ provider: 'done', embed: 'pending', store: 'pending', index: 'pending' });
      storing.open();
      expect((await handle.result()).outcome).toBe('cached');
      await recordHistory(handle, 'fill-early-return');
    });
  });

  test('coalescing: two answer updates on one fill share one provider call', async () => {
    const provider = gate();
    const fakes = new FakeActivities({ obtainAnswer: () => provider.wait.then(() => answered()) });
    const sinks = new SinkLog();
    const input = fillInput();
    await withWorker(
      t.env,
      fakes,
      async (taskQueue) => {
        const first = await client.workflow.startUpdateWithStart(answerUpdate, { startWorkflowOperation: startOperation(taskQueue, input), waitForStage: WorkflowUpdateStage.ACCEPTED });
        await eventually(() => fakes.names().includes('obtainAnswer'), { what: 'obtainAnswer started' });
        // The provider call holds the first workflow task open, so a second update
        // is admitted now and accepted in the next task, once the answer exists.
        const second = client.workflow.executeUpdateWithStart(answerUpdate, { startWorkflowOperation: startOperation(taskQueue, input) });
        await new Promise((r) => setTimeout(r, 300));
        provider.open();
        expect(await Promise.all([first.result(), second])).toEqual([{ answerRef: ANSWER_REF }, { answerRef: ANSWER_REF }]);
        const handle = client.workflow.getHandle(first.workflowId);
        expect((await handle.result()).outcome).toBe('cached');
        await recordHistory(handle, 'fill-coalesced');
      },
      sinks,
    );
    expect(fakes.names().filter((n) => n === 'obtainAnswer')).toHaveLength(1);
    expect(sinks.calls).toEqual(['started:fill', 'coalesced', 'finished:fill:cached']);
  });

  test('prefetched (a streamed miss or a drained outbox record): the answer reference goes in, no provider call', async () => {
    const fakes = new FakeActivities({ obtainAnswer: async (call) => ({ source: 'prefetched', answerRef: call.answerRef!, cacheable: true }) });
    const input = fillInput({ answerRef: 'b'.repeat(64) });
    await withWorker(t.env, fakes, async (taskQueue) => {
      const handle = await client.workflow.start<typeof cacheFillWorkflow>(FILL_WORKFLOW, { workflowId: fillWorkflowId(input.tenant, input.key), taskQueue, args: [input], workflowIdConflictPolicy: 'USE_EXISTING' });
      expect(await handle.result()).toEqual({ outcome: 'cached', steps: { provider: 'skipped', embed: 'skipped', store: 'done', index: 'done' } });
      await recordHistory(handle, 'fill-prefetched');
    });
    expect(fakes.argsOf('storeAndIndexEntry')[0]).toMatchObject({ answerRef: 'b'.repeat(64) });
  });
});

describe('cacheFillWorkflow in one task (inOneTask: an eager start answered through the board, a hand-off)', () => {
  const eventsOf = async (handle: WorkflowHandle) =>
    ((await handle.fetchHistory()).events ?? []).map((e) => {
      const fields = e as Record<string, unknown>;
      return Object.keys(fields).find((k) => k.endsWith('EventAttributes') && fields[k])?.replace(/EventAttributes$/, '');
    });

  test('cached: store and index are a local activity in the first task; no activity task, no patch marker', async () => {
    const fakes = new FakeActivities({ obtainAnswer: async () => answered() });
    const input = fillInput({ inOneTask: true });
    const { answer, result, handle } = await withWorker(t.env, fakes, (tq) => miss(tq, input));
    expect(answer).toEqual({ ok: true, value: { answerRef: ANSWER_REF } });
    expect(result).toEqual({ ok: true, value: { outcome: 'cached', steps: { provider: 'done', embed: 'skipped', store: 'done', index: 'done' } } });
    expect(fakes.names()).toEqual(['obtainAnswer', 'storeAndIndexEntry']);
    const events = await eventsOf(handle);
    expect(events.filter((e) => e === 'workflowTaskCompleted')).toHaveLength(1);
    expect(events).not.toContain('activityTaskScheduled');
    // Two local activities, and nothing else recorded as a marker (patch markers are what the field replaces).
    expect(events.filter((e) => e === 'markerRecorded')).toHaveLength(2);
    expect((await handle.describe()).typedSearchAttributes.get(reflexAttributes.outcome)).toBe('cached');
    await recordHistory(handle, 'fill-cached-one-task');
  });

  test('started with its outcome (outcomeAtStart): a cached end upserts neither memo nor search attributes; any other end still does', async () => {
    const fakes = new FakeActivities({ obtainAnswer: async () => answered() });
    const { result, handle } = await withWorker(t.env, fakes, (tq) => miss(tq, fillInput({ inOneTask: true, outcomeAtStart: true })));
    expect(result).toEqual({ ok: true, value: { outcome: 'cached', steps: { provider: 'done', embed: 'skipped', store: 'done', index: 'done' } } });
    const events = await eventsOf(handle);
    // The provider call and the write are the two markers; the update's two events are this test's caller (an eager start has none).
    expect(events).toEqual([
      'workflowExecutionStarted', 'workflowTaskScheduled', 'workflowTaskStarted', 'workflowTaskCompleted',
      'workflowExecutionUpdateAccepted', 'markerRecorded', 'workflowExecutionUpdateCompleted', 'markerRecorded', 'workflowExecutionCompleted',
    ]);
    expect((await handle.describe()).typedSearchAttributes.get(reflexAttributes.outcome)).toBe('cached');
    await recordHistory(handle, 'fill-cached-outcome-at-start');

    const failing = new FakeActivities({ storeAndIndexEntry: async () => ({ indexed: false }), indexStoredEntry: async () => { throw new Error('milvus down'); } });
    const failed = await withWorker(t.env, failing, (tq) => miss(tq, fillInput({ inOneTask: true, outcomeAtStart: true })));
    expect(failed.result.ok).toBe(false);
    expect((await failed.handle.describe()).typedSearchAttributes.get(reflexAttributes.outcome)).toBe('index_failed');
    await recordHistory(failed.handle, 'fill-index-failed-outcome-at-start');
  });

  test('a store that fails in the task goes to the store activity, and an index that failed there to the index activity', async () => {
    let localTries = 0;
    const fakes = new FakeActivities({
      storeAndIndexEntry: async () => {
        if (++localTries <= 3) throw new Error('disk busy');
        return { indexed: false };
      },
    });
    const { result, handle } = await withWorker(t.env, fakes, (tq) => miss(tq, fillInput({ inOneTask: true })));
    expect(result).toEqual({ ok: true, value: { outcome: 'cached', steps: { provider: 'done', embed: 'skipped', store: 'done', index: 'done' } } });
    // Three quick local tries, then the durable store activity, then the index activity.
    expect(fakes.names()).toEqual(['obtainAnswer', 'storeAndIndexEntry', 'storeAndIndexEntry', 'storeAndIndexEntry', 'storeAndIndexEntry', 'indexStoredEntry']);
    const events = await eventsOf(handle);
    expect(events.filter((e) => e === 'activityTaskScheduled')).toHaveLength(2);
    await recordHistory(handle, 'fill-store-retried-one-task');
  });

  test('prefetched in one task: nobody called, written in the first task', async () => {
    const fakes = new FakeActivities({ obtainAnswer: async (call) => ({ source: 'prefetched', answerRef: call.answerRef!, cacheable: true }) });
    const input = fillInput({ answerRef: 'b'.repeat(64), inOneTask: true });
    await withWorker(t.env, fakes, async (taskQueue) => {
      const handle = await client.workflow.start<typeof cacheFillWorkflow>(FILL_WORKFLOW, { workflowId: fillWorkflowId(input.tenant, input.key), taskQueue, args: [input], workflowIdConflictPolicy: 'USE_EXISTING' });
      expect(await handle.result()).toEqual({ outcome: 'cached', steps: { provider: 'skipped', embed: 'skipped', store: 'done', index: 'done' } });
      expect((await eventsOf(handle)).filter((e) => e === 'workflowTaskCompleted')).toHaveLength(1);
      await recordHistory(handle, 'fill-prefetched-one-task');
    });
  });
});
