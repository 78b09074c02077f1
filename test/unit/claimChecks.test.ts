/** The codec endpoint's decode shows what claim-check references point to. */
import { defaultPayloadConverter, Payload } from '@temporalio/common';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileBlobStore } from '../../src/cache/storage/fileBlobStore';
import { FileEntryStore } from '../../src/cache/storage/fileEntryStore';
import { ClaimCheckResolver } from '../../src/temporal/claimChecks';

const TENANT = 'aaaaaaaaaaaaaaaa';
const KEY = 'b'.repeat(64);
const root = mkdtempSync(path.join(os.tmpdir(), 'claim-'));
const blobs = new FileBlobStore(root);
const entries = new FileEntryStore(root);
const resolver = new ClaimCheckResolver(blobs, entries);
const plain = (v: unknown) => defaultPayloadConverter.toPayload(v);
const value = (p: Payload) => defaultPayloadConverter.fromPayload(p) as Record<string, any>;
const request = { request: { model: 'm', messages: [{ role: 'user', content: 'Which river flows through Basel?' }] }, semanticText: 'Which river flows through Basel?' };
const answer = { choices: [{ message: { role: 'assistant', content: 'The Rhine.' } }] };

test('a fill input gets its request and answer beside the references', async () => {
  const requestRef = await blobs.put(TENANT, request);
  const answerRef = await blobs.put(TENANT, answer);
  const [out] = await resolver.resolve([plain({ tenant: TENANT, key: KEY, requestRef, answerRef, model: 'm' })]);
  expect(value(out!)).toEqual({ tenant: TENANT, key: KEY, requestRef, answerRef, model: 'm', claimCheck: { request, answer } });
});

test('a fill input (a request, no answer yet when it started) gets the entry\'s stored answer beside its request', async () => {
  const requestRef = await blobs.put(TENANT, request);
  const key = 'd'.repeat(64);
  const [before] = await resolver.resolve([plain({ tenant: TENANT, key, requestRef })]);
  expect(value(before!).claimCheck).toEqual({ request });
  await entries.write({ version: 1, tenant: TENANT, key, context: 'x', model: 'm', createdAt: 1, semanticText: 'q', embedding: [1], response: answer } as never);
  const [after] = await resolver.resolve([plain({ tenant: TENANT, key, requestRef })]);
  expect(value(after!).claimCheck).toEqual({ request, storedAnswer: answer });
});

test('a reference without a tenant (the update result, nested in an activity result) is found under any tenant', async () => {
  const answerRef = await blobs.put(TENANT, answer);
  const [out] = await resolver.resolve([plain({ result: { source: 'provider', answerRef } })]);
  expect(value(out!).result.claimCheck).toEqual({ answer });
});

test('a swept blob: the stored entry stands in, else the payload says so', async () => {
  const gone = 'c'.repeat(64);
  await entries.write({ version: 1, tenant: TENANT, key: KEY, context: 'x', model: 'm', createdAt: 1, semanticText: 'Which river?', embedding: [1], response: answer } as never);
  const [withEntry] = await resolver.resolve([plain({ tenant: TENANT, key: KEY, requestRef: gone, answerRef: gone })]);
  expect(value(withEntry!).claimCheck.answer).toEqual(answer);
  expect(value(withEntry!).claimCheck.request).toMatchObject({ semanticText: 'Which river?' });
  const [without] = await resolver.resolve([plain({ answerRef: gone })]);
  expect(value(without!).claimCheck.answer.unavailable).toMatch(/no longer stored/);
});

test('payloads without references, or not JSON, come back as they were', async () => {
  const payloads = [plain({ outcome: 'cached' }), plain(null), { metadata: { encoding: Buffer.from('binary/encrypted') }, data: Buffer.from('xx') }];
  const out = await resolver.resolve(payloads);
  out.forEach((p, i) => expect(p).toBe(payloads[i]));
});
