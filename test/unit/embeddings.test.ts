/** The embeddings tier: per-item exact keys, the float32 codec, usage apportioning, and partial batches against a fake upstream. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { EmbeddingsCache, apportion } from '../../src/cache/vectors/embeddingsCache';
import { embeddingItemKey } from '../../src/cache/vectors/itemKey';
import { VectorStore } from '../../src/cache/vectors/vectorStore';
import { FileVectors } from '../../src/cache/vectors/fileVectors';
import { Expiry } from '../../src/cache/storage/expiry';
import { EmbeddingsRequest, EmbeddingsResponse, inputItems, vectorFromBase64, vectorToBase64 } from '../../src/wire/embeddings';
import { MockProvider } from '../../src/provider/mock';
import { eventually } from '../support/eventually';

test('input forms split into items', () => {
  expect(inputItems('a')).toEqual(['a']);
  expect(inputItems(['a', 'b'])).toEqual(['a', 'b']);
  expect(inputItems([1, 2, 3])).toEqual([[1, 2, 3]]);
  expect(inputItems([[1], [2, 3]])).toEqual([[1], [2, 3]]);
});

test('base64 is little-endian float32 and round-trips exactly', () => {
  const v = Float32Array.from([0.1, -2.5, 3.25e-8, 1]);
  expect(Buffer.from(vectorToBase64(v), 'base64').readFloatLE(4)).toBe(-2.5);
  expect(Array.from(vectorFromBase64(vectorToBase64(v)))).toEqual(Array.from(v));
});

test('the item key holds model, dimensions and the item, not the encoding', () => {
  const k = embeddingItemKey('m', undefined, 'a');
  expect(embeddingItemKey('m', undefined, 'a')).toBe(k);
  expect(embeddingItemKey('n', undefined, 'a')).not.toBe(k);
  expect(embeddingItemKey('m', 256, 'a')).not.toBe(k);
  expect(embeddingItemKey('m', undefined, 'b')).not.toBe(k);
  expect(embeddingItemKey('m', undefined, [97])).not.toBe(k);
});

test('apportion keeps the total and counts token items exactly', () => {
  expect(apportion(10, ['aaaa', 'a', [1, 2, 3]])).toEqual([6, 1, 3]);
  expect(apportion(7, ['abc', 'abc', 'abc']).reduce((a, b) => a + b)).toBe(7);
  expect(apportion(5, ['only'])).toEqual([5]);
});

describe('EmbeddingsCache', () => {
  let dir: string;
  let cache: EmbeddingsCache;
  const mock = new MockProvider();
  const sent: EmbeddingsRequest[] = [];
  const upstream = async (request: EmbeddingsRequest): Promise<EmbeddingsResponse> => {
    sent.push(request);
    return mock.embed(request);
  };
  const on = { lookup: true, store: true };

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'reflex-vectors-'));
    cache = new EmbeddingsCache(new VectorStore(new FileVectors(dir), 100), pino({ level: 'silent' }));
    sent.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('a partly cached batch sends only the missing items, in order, and answers in the caller order', async () => {
    const first = await cache.answer('aaaaaaaaaaaaaaaa', { model: 'm', input: ['a b', 'c'] }, on, upstream);
    expect(first.cached).toBe(0);
    const second = await cache.answer('aaaaaaaaaaaaaaaa', { model: 'm', input: ['x', 'c', 'y z w', 'a b'] }, on, upstream);
    expect(sent.map((r) => r.input)).toEqual([['a b', 'c'], ['x', 'y z w']]);
    expect(second.cached).toBe(2);
    expect(second.response.data.map((d) => d.index)).toEqual([0, 1, 2, 3]);
    expect(second.response.data[1]!.embedding).toEqual(first.response.data[1]!.embedding);
    expect(second.response.data[3]!.embedding).toEqual(first.response.data[0]!.embedding);
    // The mock counts words: 1 + 1 + 3 + 2.
    expect(second.response.usage).toEqual({ prompt_tokens: 7, total_tokens: 7 });
    const direct = await mock.embed({ model: 'm', input: ['x'], encoding_format: 'base64' });
    expect(second.response.data[0]!.embedding).toEqual(Array.from(vectorFromBase64(direct.data[0]!.embedding as string)));
  });

  test('identical concurrent requests for new inputs share one provider call (and one failure); no-store requests fetch their own', async () => {
    let calls = 0;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const slow = async (request: EmbeddingsRequest) => (calls++, await held, upstream(request));
    const asks = Array.from({ length: 8 }, (_, i) => cache.answer('aaaaaaaaaaaaaaaa', { model: 'm', input: ['new one', 'new two'], ...(i % 2 ? { encoding_format: 'base64' as const } : {}) }, on, slow));
    const own = cache.answer('aaaaaaaaaaaaaaaa', { model: 'm', input: ['new one', 'new two'] }, { lookup: true, store: false }, slow);
    // The provider is held until the leader and the no-store request have called it and the others had time to join.
    await eventually(() => calls >= 2, { everyMs: 5, what: 'the leader and the no-store request at the provider' });
    await new Promise((r) => setTimeout(r, 50));
    release();
    const answers = await Promise.all(asks);
    await own;
    expect(calls).toBe(2);
    // Each caller gets its own encoding of the same vectors.
    expect(vectorFromBase64(answers[1]!.response.data[0]!.embedding as string)).toEqual(Float32Array.from(answers[0]!.response.data[0]!.embedding as number[]));
    expect((await cache.answer('aaaaaaaaaaaaaaaa', { model: 'm', input: ['new one', 'new two'] }, on, slow)).cached).toBe(2);

    const failing = async () => (calls++, await new Promise((r) => setTimeout(r, 10)), Promise.reject(new Error('provider down')));
    const failed = await Promise.allSettled(Array.from({ length: 4 }, () => cache.answer('aaaaaaaaaaaaaaaa', { model: 'm', input: 'fails' }, on, failing)));
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
    expect(calls).toBe(3);
    // The failed flight is gone: the next request tries again.
    await cache.answer('aaaaaaaaaaaaaaaa', { model: 'm', input: 'fails' }, on, upstream);
  });

  test('float and base64 are served from one stored vector', async () => {
    const floats = await cache.answer('aaaaaaaaaaaaaaaa', { model: 'm', input: 'hello' }, on, upstream);
    const b64 = await cache.answer('aaaaaaaaaaaaaaaa', { model: 'm', input: 'hello', encoding_format: 'base64' }, on, upstream);
    expect(sent).toHaveLength(1);
    expect(b64.cached).toBe(1);
    expect(Array.from(vectorFromBase64(b64.response.data[0]!.embedding as string))).toEqual(floats.response.data[0]!.embedding);
  });

  test('tenants and dimensions are kept apart; no-store stores nothing', async () => {
    await cache.answer('aaaaaaaaaaaaaaaa', { model: 'm', input: 'hello' }, on, upstream);
    expect((await cache.answer('bbbbbbbbbbbbbbbb', { model: 'm', input: 'hello' }, on, upstream)).cached).toBe(0);
    expect((await cache.answer('aaaaaaaaaaaaaaaa', { model: 'm', input: 'hello', dimensions: 16 }, on, upstream)).cached).toBe(0);
    await cache.answer('aaaaaaaaaaaaaaaa', { model: 'm', input: 'nostore' }, { lookup: true, store: false }, upstream);
    expect((await cache.answer('aaaaaaaaaaaaaaaa', { model: 'm', input: 'nostore' }, on, upstream)).cached).toBe(0);
  });

  test('a tenant purge removes its vectors from disk and memory, and only its own', async () => {
    const store = new VectorStore(new FileVectors(dir), 100);
    const purging = new EmbeddingsCache(store, pino({ level: 'silent' }));
    await purging.answer('aaaaaaaaaaaaaaaa', { model: 'm', input: 'kept apart' }, on, upstream);
    await purging.answer('bbbbbbbbbbbbbbbb', { model: 'm', input: 'kept apart' }, on, upstream);
    await store.removeTenant('aaaaaaaaaaaaaaaa');
    expect((await purging.answer('aaaaaaaaaaaaaaaa', { model: 'm', input: 'kept apart' }, on, upstream)).cached).toBe(0);
    expect((await purging.answer('bbbbbbbbbbbbbbbb', { model: 'm', input: 'kept apart' }, on, upstream)).cached).toBe(1);
  });

  test('an expired vector is fetched again, never served', async () => {
    const expiring = new EmbeddingsCache(new VectorStore(new FileVectors(dir), 100, new Expiry(50)), pino({ level: 'silent' }));
    await expiring.answer('aaaaaaaaaaaaaaaa', { model: 'm', input: 'ages' }, on, upstream);
    expect((await expiring.answer('aaaaaaaaaaaaaaaa', { model: 'm', input: 'ages' }, on, upstream)).cached).toBe(1);
    await new Promise((r) => setTimeout(r, 80));
    expect((await expiring.answer('aaaaaaaaaaaaaaaa', { model: 'm', input: 'ages' }, on, upstream)).cached).toBe(0);
  });

  test('a provider answer with the wrong number of vectors is an error, not a misaligned answer', async () => {
    const short = async (): Promise<EmbeddingsResponse> => ({ object: 'list', data: [], model: 'm', usage: { prompt_tokens: 0, total_tokens: 0 } });
    await expect(cache.answer('aaaaaaaaaaaaaaaa', { model: 'm', input: ['a', 'b'] }, on, short)).rejects.toThrow(/0 embeddings for 2/);
  });
});
