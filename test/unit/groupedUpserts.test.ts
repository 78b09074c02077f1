/** Group commit of index upserts: alone at once, together while one is in flight, each caller told how its group fared. */
import { GroupedUpserts } from '../../src/cache/vectordb/groupedUpserts';
import type { IndexRecord, VectorIndex } from '../../src/cache/vectordb/index';
import { MemoryIndex } from '../../src/cache/vectordb/memory';

const record = (key: string, createdAt = 0): IndexRecord => ({ tenant: 't', key, model: 'm', context: 'c', createdAt, bits: Buffer.alloc(48) });

/** A MemoryIndex whose upserts wait until released, recording each call's keys. */
function slowIndex() {
  const inner = new MemoryIndex();
  const calls: string[][] = [];
  const gates: Array<(err?: Error) => void> = [];
  const index: VectorIndex = Object.assign(Object.create(inner) as VectorIndex, {
    upsert: (records: IndexRecord[]) => {
      calls.push(records.map((r) => `${r.key}@${r.createdAt}`));
      return new Promise<void>((resolve, reject) => gates.push((err) => (err ? reject(err) : inner.upsert(records).then(resolve))));
    },
  });
  return { index, calls, release: (err?: Error) => gates.shift()!(err) };
}

const settled = () => new Promise((r) => setImmediate(r));

test('a lone upsert goes out at once; those that arrive meanwhile go out together next, one record per entry', async () => {
  const slow = slowIndex();
  const grouped = new GroupedUpserts(slow.index);
  const first = grouped.upsert([record('a')]);
  await settled();
  expect(slow.calls).toEqual([['a@0']]);
  const rest = [grouped.upsert([record('b')]), grouped.upsert([record('c'), record('b', 1)])];
  await settled();
  expect(slow.calls).toHaveLength(1);
  slow.release();
  await first;
  await settled();
  expect(slow.calls[1]).toEqual(['b@1', 'c@0']);
  slow.release();
  await Promise.all(rest);
  expect((await grouped.search(Buffer.alloc(48), { tenant: 't', context: 'c' }, 10)).map((h) => h.key).sort()).toEqual(['a', 'b', 'c']);
});

test('a failed group fails each of its callers, and the next group still goes out', async () => {
  const slow = slowIndex();
  const grouped = new GroupedUpserts(slow.index);
  const first = grouped.upsert([record('a')]);
  await settled();
  const second = grouped.upsert([record('b')]);
  const third = grouped.upsert([record('c')]);
  slow.release(new Error('milvus down'));
  await expect(first).rejects.toThrow('milvus down');
  await settled();
  slow.release(new Error('still down'));
  await expect(second).rejects.toThrow('still down');
  await expect(third).rejects.toThrow('still down');
  const fourth = grouped.upsert([record('d')]);
  await settled();
  slow.release();
  await expect(fourth).resolves.toBeUndefined();
  expect(slow.calls).toEqual([['a@0'], ['b@0', 'c@0'], ['d@0']]);
});
