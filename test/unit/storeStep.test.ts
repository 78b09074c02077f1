/**
 * The fill's write step since ONE_WRITE_STEP_PATCH: storeAndIndexEntry writes
 * the entry, then tries the index once. An index failure leaves the entry
 * stored and says so, so the workflow retries only the index; a store
 * failure fails the step (and the activity is retried).
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { ActivityDeps, createActivities } from '../../src/activities';
import type { BlobStore } from '../../src/cache/storage/blobStore';
import type { Entry } from '../../src/cache/storage/entry';
import type { EntryStore } from '../../src/cache/storage/entryStore';
import type { VectorIndex } from '../../src/cache/vectordb';
import { fake } from '../support/fake';

const call = { tenant: 't1', key: 'k1', requestRef: 'r'.repeat(64), answerRef: 'a'.repeat(64) };
const request = { request: {}, context: 'ctx', model: 'm', semanticText: 'q', embedding: Array.from({ length: 384 }, (_, i) => (i % 2 ? 0.05 : -0.05)) };
const answer = { id: 'chatcmpl-1', choices: [] };

function activities(upsert: () => Promise<void>, write: (e: Entry) => Promise<void> = async () => undefined) {
  const written: Entry[] = [];
  const deps = fake<ActivityDeps>({
    blobs: fake<BlobStore>({ get: async <T>(_t: string, ref: string) => (ref === call.requestRef ? request : answer) as T }, 'blobs'),
    store: fake<EntryStore>({ write: async (e: Entry) => void (await write(e), written.push(e)) }, 'store'),
    index: fake<VectorIndex>({ upsert }, 'index'),
  }, 'deps');
  return { acts: createActivities(deps), written };
}

test('stores, then indexes the same entry', async () => {
  const upsert = jest.fn(async () => undefined);
  const { acts, written } = activities(upsert);
  await expect(new MockActivityEnvironment().run(acts.storeAndIndexEntry, call)).resolves.toEqual({ indexed: true });
  expect(written).toHaveLength(1);
  expect(written[0]).toMatchObject({ tenant: 't1', key: 'k1', embedding: request.embedding, response: answer });
  expect(upsert).toHaveBeenCalledTimes(1);
});

test('an index failure keeps the stored entry and reports indexed: false', async () => {
  const { acts, written } = activities(async () => Promise.reject(new Error('milvus unavailable')));
  await expect(new MockActivityEnvironment().run(acts.storeAndIndexEntry, call)).resolves.toEqual({ indexed: false });
  expect(written).toHaveLength(1);
});

test('a store failure fails the step and never indexes', async () => {
  const upsert = jest.fn(async () => undefined);
  const { acts } = activities(upsert, async () => Promise.reject(new Error('disk full')));
  await expect(new MockActivityEnvironment().run(acts.storeAndIndexEntry, call)).rejects.toThrow('disk full');
  expect(upsert).not.toHaveBeenCalled();
});
