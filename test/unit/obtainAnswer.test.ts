/**
 * obtainAnswer is idempotent per fill run: a workflow task replayed after the
 * worker or Temporal died (the client may already have the answer, from the
 * answer board) reuses the answer its run obtained instead of calling the
 * provider again. Another run asks the provider; so does a run whose answer
 * blob is gone. Real blob store on disk, the activity in its activity context.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { mkdtempSync, readdirSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ActivityDeps, AnswerCall, createActivities } from '../../src/activities';
import { AnswerBoard } from '../../src/activities/answerBoard';
import { FileBlobStore } from '../../src/cache/storage/fileBlobStore';
import type { Entry } from '../../src/cache/storage/entry';
import type { EntryStore } from '../../src/cache/storage/entryStore';
import { NEVER_EXPIRES } from '../../src/cache/storage/expiry';
import type { Provider } from '../../src/provider/provider';
import { fake } from '../support/fake';
import { UpstreamError, failureOf } from '../../src/provider/failure';

const tenant = '0123456789abcdef';
const answer = { id: 'chatcmpl-1', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }] };

async function setup(answers?: AnswerBoard) {
  const blobs = new FileBlobStore(mkdtempSync(path.join(os.tmpdir(), 'reflex-obtain-')));
  const complete = jest.fn(async () => answer);
  const activitiesOn = (store: FileBlobStore) => createActivities(fake<ActivityDeps>({ provider: fake<Provider>({ complete }, 'provider'), upstreamKey: 'sk-test', blobs: store, answers }, 'deps'));
  const call: AnswerCall = { tenant, key: 'e'.repeat(64), requestRef: await blobs.put(tenant, { request: { model: 'm', messages: [] } }), guarded: false };
  const runner = (store: FileBlobStore) => {
    const acts = activitiesOn(store);
    return (workflowId: string, runId: string) => new MockActivityEnvironment({ workflowExecution: { workflowId, runId } }).run(acts.obtainAnswer, call);
  };
  // A worker started again: the same files, none of the old process's copies in memory.
  const restarted = () => runner(new FileBlobStore(blobs.root));
  return { blobs, complete, inRun: runner(blobs), restarted };
}

test('the same run asked again (a replayed workflow task) reuses its answer: one provider call', async () => {
  const { blobs, complete, inRun } = await setup();
  const first = await inRun('fill-a', 'run-1');
  expect(first).toEqual({ source: 'provider', answerRef: expect.stringMatching(/^[0-9a-f]{64}$/), cacheable: true });
  await expect(inRun('fill-a', 'run-1')).resolves.toEqual(first);
  expect(complete).toHaveBeenCalledTimes(1);
  // Only hashes of the ids reach the disk, under the tenant's own blob directory.
  const files = readdirSync(path.join(blobs.root, tenant, 'blobs'), { recursive: true }).map(String);
  expect(files.filter((f) => f.endsWith('.run'))).toHaveLength(1);
  expect(files.join(' ')).not.toMatch(/fill-a|run-1/);
});

test('another run of the same fill, or another fill, calls the provider', async () => {
  const { complete, inRun } = await setup();
  await inRun('fill-a', 'run-1');
  await inRun('fill-a', 'run-2');
  await inRun('fill-b', 'run-1');
  expect(complete).toHaveBeenCalledTimes(3);
});

test('a marker whose answer blob is gone falls back to the provider, and marks the new answer', async () => {
  const { blobs, complete, inRun, restarted } = await setup();
  const { answerRef } = (await inRun('fill-a', 'run-1')) as { answerRef: string };
  unlinkSync(blobs.pathOf(tenant, answerRef)); // the marker stays
  const again = restarted();
  await expect(again('fill-a', 'run-1')).resolves.toMatchObject({ source: 'provider' });
  expect(complete).toHaveBeenCalledTimes(2);
  await again('fill-a', 'run-1');
  expect(complete).toHaveBeenCalledTimes(2);
});

test('the process that put the answer reuses its copy in memory, even after the file went (content-addressed: never stale)', async () => {
  const { blobs, complete, inRun } = await setup();
  const { answerRef } = (await inRun('fill-a', 'run-1')) as { answerRef: string };
  unlinkSync(blobs.pathOf(tenant, answerRef));
  await expect(inRun('fill-a', 'run-1')).resolves.toMatchObject({ source: 'provider', answerRef });
  expect(complete).toHaveBeenCalledTimes(1);
});

test('the marker is written before the answer is posted to a waiting request', async () => {
  const board = new AnswerBoard();
  const { blobs, inRun } = await setup(board);
  const order: string[] = [];
  const markRun = blobs.markRun.bind(blobs);
  jest.spyOn(blobs, 'markRun').mockImplementation(async (...args) => (await markRun(...args), void order.push('marked')));
  const post = board.post.bind(board);
  jest.spyOn(board, 'post').mockImplementation((...args) => (order.push('posted'), post(...args)));
  const waiting = board.wait('fill-a').answer;
  const { answerRef } = (await inRun('fill-a', 'run-1')) as { answerRef: string };
  await expect(waiting).resolves.toMatchObject({ answerRef });
  expect(order).toEqual(['marked', 'posted']);
});

describe('every outcome reaches a request waiting on the board (an eager start has no update to report it)', () => {
  const failingSetup = async (failure: Error, maxAttempts: number) => {
    const board = new AnswerBoard();
    const blobs = new FileBlobStore(mkdtempSync(path.join(os.tmpdir(), 'reflex-obtain-')));
    const complete = jest.fn(async () => Promise.reject(failure));
    const acts = createActivities(fake<ActivityDeps>({ provider: fake<Provider>({ complete }, 'provider'), upstreamKey: 'sk-test', blobs, answers: board }, 'deps'));
    const call: AnswerCall = { tenant, key: 'e'.repeat(64), requestRef: await blobs.put(tenant, { request: { model: 'm', messages: [] } }), guarded: false, maxAttempts };
    const attempt = (n: number) => new MockActivityEnvironment({ workflowExecution: { workflowId: 'fill-a', runId: 'run-1' }, attempt: n }).run(acts.obtainAnswer, call);
    return { board, attempt };
  };
  const settledWithin = <T>(p: Promise<T>) => Promise.race([p, new Promise((r) => setTimeout(() => r('still waiting'), 30))]);

  test("a provider client error is final at once: the waiting request gets the provider's status and message", async () => {
    const { board, attempt } = await failingSetup(new UpstreamError(failureOf(400, { message: 'bad model', type: 'invalid_request_error' }, 'x')), 3);
    const waiting = board.wait('fill-a').answer;
    await expect(attempt(1)).rejects.toThrow('bad model');
    await expect(waiting).resolves.toEqual({ failure: expect.objectContaining({ status: 400, retryable: false, body: { error: expect.objectContaining({ message: 'bad model' }) } }) });
  });

  test('a retryable failure is posted only on the last attempt', async () => {
    const { board, attempt } = await failingSetup(new UpstreamError(failureOf(503, {}, 'overloaded')), 2);
    const waiting = board.wait('fill-a').answer;
    await expect(attempt(1)).rejects.toThrow();
    expect(await settledWithin(waiting)).toBe('still waiting');
    await expect(attempt(2)).rejects.toThrow();
    await expect(waiting).resolves.toEqual({ failure: expect.objectContaining({ status: 503, retryable: true }) });
  });

  test('an answer another fill already stored is posted as "stored"', async () => {
    const board = new AnswerBoard();
    const blobs = new FileBlobStore(mkdtempSync(path.join(os.tmpdir(), 'reflex-obtain-')));
    const complete = jest.fn(async () => answer);
    const stored: Entry = { version: 1, tenant, key: 'e'.repeat(64), context: 'c', model: 'm', createdAt: Date.now(), semanticText: 'q', embedding: [], response: answer };
    const store = fake<EntryStore>({ read: async () => stored }, 'store');
    const acts = createActivities(fake<ActivityDeps>({ provider: fake<Provider>({ complete }, 'provider'), upstreamKey: 'sk-test', blobs, answers: board, store, expiry: NEVER_EXPIRES }, 'deps'));
    const call: AnswerCall = { tenant, key: 'e'.repeat(64), requestRef: 'unused', guarded: true };
    const waiting = board.wait('fill-a').answer;
    await expect(new MockActivityEnvironment({ workflowExecution: { workflowId: 'fill-a', runId: 'run-1' } }).run(acts.obtainAnswer, call)).resolves.toEqual({ source: 'stored' });
    await expect(waiting).resolves.toEqual({ stored: true });
    expect(complete).not.toHaveBeenCalled();
  });
});
