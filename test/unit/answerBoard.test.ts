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
import { BlobStore } from '../../src/cache/storage/blobStore';
import { EntryStore } from '../../src/cache/storage/entryStore';
import { GatewayError } from '../../src/errors';
import { FillClient, MissSpec, fillIdFor } from '../../src/temporal/fillClient';

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
  const blobs = new BlobStore(dir);
  const spec: MissSpec = { tenant: '0123456789abcdef', key: 'e'.repeat(64), context: 'c', model: 'm', semanticText: 'q', request: { model: 'm', messages: [] } };
  const answer = { id: 'chatcmpl-1', object: 'chat.completion', choices: [] };
  const clientWith = (update: () => Promise<unknown>) => ({ workflow: { executeUpdateWithStart: update } }) as unknown as Client;
  const fillClient = (client: Client, board: AnswerBoard) =>
    new FillClient(client, blobs, new EntryStore(dir), { taskQueue: 'q', deadlineMs: 5_000, policy: { providerMaxAttempts: 1, providerTimeoutMs: 1_000, indexMaxAttempts: 1 } }, undefined, board);

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

describe('which processes get a board', () => {
  test('only the co-located commands (start, serve); an API-only or worker-only process gets none', () => {
    expect(answerBoardFor('start')).toBeInstanceOf(AnswerBoard);
    expect(answerBoardFor('serve')).toBeInstanceOf(AnswerBoard);
    expect(answerBoardFor('api')).toBeUndefined();
    expect(answerBoardFor('worker')).toBeUndefined();
  });
});
