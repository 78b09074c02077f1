/**
 * The in-process handoff of a fill's answer (src/activities/answerBoard.ts):
 * the waiting miss takes whichever comes first, the worker's post or the
 * update's result, and a failure still arrives through the update.
 */
import type { Client } from '@temporalio/client';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AnswerBoard } from '../../src/activities/answerBoard';
import { answerBoardFor } from '../../src/cli/commands/roles';
import { FileBlobStore } from '../../src/cache/storage/fileBlobStore';
import { FileEntryStore } from '../../src/cache/storage/fileEntryStore';
import { GatewayError } from '../../src/errors';
import { FillClient } from '../../src/miss/fillClient';
import { MissSpec, fillIdFor } from '../../src/miss/missSpec';

const posted = (answerRef: string) => ({ answerRef, answer: { id: answerRef } });

describe('AnswerBoard', () => {
  test('a post reaches the request waiting on that fill, once', async () => {
    const board = new AnswerBoard();
    const { answer } = board.wait('fill-a');
    board.post('fill-b', posted('other'));
    board.post('fill-a', posted('ref-a'));
    await expect(answer).resolves.toEqual(posted('ref-a'));
    board.post('fill-a', posted('late')); // nobody waits any more: a no-op
  });

  test('a cancelled wait is not resolved by a later post', async () => {
    const board = new AnswerBoard();
    const { answer, cancel } = board.wait('fill-a');
    cancel();
    board.post('fill-a', posted('ref-a'));
    const outcome = await Promise.race([answer.then(() => 'resolved'), new Promise((r) => setTimeout(() => r('pending'), 20))]);
    expect(outcome).toBe('pending');
  });
});

describe('FillClient with an answer board', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'reflex-board-'));
  const blobs = new FileBlobStore(dir);
  const spec: MissSpec = { tenant: '0123456789abcdef', key: 'e'.repeat(64), context: 'c', model: 'm', semanticText: 'q', request: { model: 'm', messages: [] } };
  const answer = { id: 'chatcmpl-1', object: 'chat.completion', choices: [] };
  const clientWith = (update: () => Promise<unknown>) => ({ workflow: { executeUpdateWithStart: update } }) as unknown as Client;
  const fillClient = (client: Client, board: AnswerBoard) =>
    new FillClient(client, blobs, new FileEntryStore(dir), { taskQueue: 'q', deadlineMs: 5_000, policy: { providerMaxAttempts: 1, providerTimeoutMs: 1_000, indexMaxAttempts: 1 } }, undefined, board);

  test("the worker's post answers before the update returns; the update's later failure is swallowed", async () => {
    const board = new AnswerBoard();
    let failUpdate: (e: Error) => void = () => {};
    const client = clientWith(async () => {
      board.post(fillIdFor(spec), { answerRef: await blobs.put(spec.tenant, answer), answer });
      return new Promise((_, reject) => (failUpdate = reject));
    });
    const result = await fillClient(client, board).fill(spec);
    expect(result.response).toEqual(answer);
    expect(result.workflowId).toBe(fillIdFor(spec));
    failUpdate(new Error('worker lost after answering'));
  });

  test('without a post the update decides, and its failure is the client error', async () => {
    const board = new AnswerBoard();
    const ok = await fillClient(clientWith(async () => ({ answerRef: await blobs.put(spec.tenant, answer) })), board).fill(spec);
    expect(ok.response).toEqual(answer);
    const failed = fillClient(clientWith(async () => Promise.reject(new Error('temporal down'))), board).fill(spec);
    await expect(failed).rejects.toBeInstanceOf(GatewayError);
  });
});

describe('FillClient starting eagerly on the co-located worker', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'reflex-eager-'));
  const blobs = new FileBlobStore(dir);
  const entries = new FileEntryStore(dir);
  const spec: MissSpec = { tenant: '0123456789abcdef', key: 'f'.repeat(64), context: 'c', model: 'm', semanticText: 'q', request: { model: 'm', messages: [] } };
  const answer = { id: 'chatcmpl-2', object: 'chat.completion', choices: [] };
  const options = { taskQueue: 'q', deadlineMs: 2_000, policy: { providerMaxAttempts: 1, providerTimeoutMs: 1_000, indexMaxAttempts: 1 } };
  const neverUsed = { workflow: { executeUpdateWithStart: () => Promise.reject(new Error('the API connection must not be used')) } } as unknown as Client;
  /** A worker-connection client whose start runs `onStart` and reports whether the run was started eagerly. */
  const workerClient = (eagerlyStarted: boolean, onStart: () => void, executeUpdate = jest.fn()) => {
    const start = jest.fn(async () => (onStart(), { eagerlyStarted, executeUpdate }));
    return { client: { withDeadline: (_: number, fn: () => unknown) => fn(), workflow: { start } } as unknown as Client, start, executeUpdate };
  };
  const eagerFill = (board: AnswerBoard, worker: Client) => {
    const fill = new FillClient(neverUsed, blobs, entries, options, undefined, board);
    fill.startEagerlyOn(worker);
    return fill;
  };

  test('an eager start asks for eager execution and answers with what the worker posts', async () => {
    const board = new AnswerBoard();
    const { client, start } = workerClient(true, () => setImmediate(() => board.post(fillIdFor(spec), { answerRef: 'r', answer })));
    await expect(eagerFill(board, client).fill(spec)).resolves.toMatchObject({ response: answer, workflowId: fillIdFor(spec) });
    expect(start).toHaveBeenCalledWith('cacheFillWorkflow', expect.objectContaining({ requestEagerStart: true, workflowId: fillIdFor(spec), workflowIdConflictPolicy: 'USE_EXISTING' }));
  });

  test("a posted final failure is the provider's error, status and all", async () => {
    const board = new AnswerBoard();
    const failure = { status: 429, retryable: true, retryAfter: '7', body: { error: { message: 'slow down', type: 'rate_limit_error', param: null, code: null } } };
    const { client } = workerClient(true, () => setImmediate(() => board.post(fillIdFor(spec), { failure })));
    const failed = eagerFill(board, client).fill(spec);
    await expect(failed).rejects.toMatchObject({ status: 429, message: 'slow down', headers: { 'Retry-After': '7' } });
  });

  test('"stored" reads the entry an earlier fill wrote', async () => {
    const board = new AnswerBoard();
    await entries.write({ version: 1, tenant: spec.tenant, key: spec.key, context: 'c', model: 'm', createdAt: Date.now(), semanticText: 'q', embedding: [], response: answer as never });
    const { client } = workerClient(true, () => setImmediate(() => board.post(fillIdFor(spec), { stored: true })));
    await expect(eagerFill(board, client).fill(spec)).resolves.toMatchObject({ response: answer });
  });

  test('a run that was not started eagerly (an identical fill already open) is joined with update-with-start, which survives that run closing first', async () => {
    const board = new AnswerBoard();
    const executeUpdate = jest.fn(async () => Promise.reject(new Error('workflow not found: the joined run closed')));
    const { client } = workerClient(false, () => undefined, executeUpdate);
    const viaApi = jest.fn(async () => ({ answerRef: await blobs.put(spec.tenant, answer) }));
    const fill = new FillClient({ workflow: { executeUpdateWithStart: viaApi } } as unknown as Client, blobs, entries, options, undefined, board);
    fill.startEagerlyOn(client);
    await expect(fill.fill(spec)).resolves.toMatchObject({ response: answer });
    expect(viaApi).toHaveBeenCalledWith(expect.objectContaining({ name: 'answer' }), expect.anything());
    expect(executeUpdate).not.toHaveBeenCalled();
  });

  test('a start the worker connection cannot make in time falls back to update-with-start on the API connection (which joins the run if the start was applied)', async () => {
    const board = new AnswerBoard();
    const failedStart = { withDeadline: (_: number, fn: () => unknown) => fn(), workflow: { start: async () => Promise.reject(new Error('deadline exceeded')) } } as unknown as Client;
    const viaApi = jest.fn(async () => ({ answerRef: await blobs.put(spec.tenant, answer) }));
    const fill = new FillClient({ workflow: { executeUpdateWithStart: viaApi } } as unknown as Client, blobs, entries, options, undefined, board);
    fill.startEagerlyOn(failedStart);
    await expect(fill.fill(spec)).resolves.toMatchObject({ response: answer });
    expect(viaApi).toHaveBeenCalledTimes(1);
    // Temporal down on both connections: an outage (degraded mode answers), not a hang.
    const down = new FillClient({ workflow: { executeUpdateWithStart: async () => Promise.reject(new Error('connection refused')) } } as unknown as Client, blobs, entries, options, undefined, board);
    down.startEagerlyOn(failedStart);
    await expect(down.fill(spec)).rejects.toMatchObject({ code: 'temporal_unavailable' });
  });

  test('without a board (API-only process) the worker client is ignored', async () => {
    const { client, start } = workerClient(true, () => undefined);
    const fill = new FillClient({ workflow: { executeUpdateWithStart: async () => ({ answerRef: await blobs.put(spec.tenant, answer) }) } } as unknown as Client, blobs, entries, options);
    fill.startEagerlyOn(client);
    await expect(fill.fill(spec)).resolves.toMatchObject({ response: answer });
    expect(start).not.toHaveBeenCalled();
  });
});

describe('which processes get a board', () => {
  test('only the co-located commands (start, serve); an API-only or worker-only process gets none', () => {
    expect(answerBoardFor('start')).toBeInstanceOf(AnswerBoard);
    expect(answerBoardFor('serve')).toBeInstanceOf(AnswerBoard);
    expect(answerBoardFor('api')).toBeUndefined();
    expect(answerBoardFor('worker')).toBeUndefined();
  });
});
