/**
 * POST /v1/chat/completions through the real Koa app with fake stages:
 * error shapes, cache controls to statuses, hit headers, and how each
 * response is counted in /metrics.
 */
import { eventually } from '../support/eventually';
import { FakeApp, chat, completion, counterValue, entryOf, json, startFakeApp } from './fakeApp';

let app: FakeApp;
afterEach(() => app?.close());

describe('error shapes', () => {
  beforeEach(async () => (app = await startFakeApp()));

  test('malformed JSON is an OpenAI-shaped 400 and never reaches the cache', async () => {
    const res = await app.post('{"model":');
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    expect(body.error.type).toBe('invalid_request_error');
    expect(app.lookups).toBe(0);
  });

  test('an invalid request names the parameter', async () => {
    const res = await app.post({ model: 'm', messages: [] });
    expect(res.status).toBe(400);
    expect((await json(res)).error).toMatchObject({ type: 'invalid_request_error', param: 'messages' });
  });

  test('an unknown route is a 404 unknown_url', async () => {
    const res = await fetch(`${app.url}/v1/nothing`);
    expect(res.status).toBe(404);
    expect(await json(res)).toEqual({ error: { message: 'Unknown route GET /v1/nothing.', type: 'invalid_request_error', param: null, code: 'unknown_url' } });
  });

  test('errors are counted under tier ERROR with their status', async () => {
    await app.post({ model: 'm', messages: [] });
    expect(await counterValue(app.metrics, 'reflex_requests_total', { status: '400', tier: 'ERROR' })).toBe(1);
  });
});

describe('cache controls', () => {
  beforeEach(async () => (app = await startFakeApp()));

  test('only-if-cached on a miss is a 504 cache_miss without a fill', async () => {
    const res = await app.post(chat(), { 'x-reflex-cache': 'only-if-cached' });
    expect(res.status).toBe(504);
    expect(res.headers.get('x-reflex-status')).toBe('MISS');
    expect((await json(res)).error).toMatchObject({ code: 'cache_miss' });
    expect(app.fills).toHaveLength(0);
  });

  test.each([['2'], ['abc'], ['0.1']])('X-Reflex-Threshold %s is a 400 naming the header', async (value) => {
    const res = await app.post(chat(), { 'x-reflex-threshold': value });
    expect(res.status).toBe(400);
    expect((await json(res)).error).toMatchObject({ type: 'invalid_request_error', param: 'X-Reflex-Threshold', code: 'invalid_header' });
    expect(app.lookups).toBe(0);
  });

  test('an unknown X-Reflex-Cache mode is a 400, so a typo never silently caches', async () => {
    const res = await app.post(chat(), { 'x-reflex-cache': 'refesh' });
    expect(res.status).toBe(400);
    expect((await json(res)).error).toMatchObject({ param: 'X-Reflex-Cache', code: 'invalid_header' });
  });

  test('a plain miss is filled, answered MISS with its fill id, and counted under MISS', async () => {
    const res = await app.post(chat());
    expect(res.status).toBe(200);
    expect(res.headers.get('x-reflex-status')).toBe('MISS');
    expect(res.headers.get('x-reflex-fill-id')).toMatch(/^fill-[0-9a-f]{16}-[0-9a-f]{64}$/);
    expect(app.fills[0]).toMatchObject({ replace: undefined, store: undefined });
    expect(await counterValue(app.metrics, 'reflex_requests_total', { status: '200', tier: 'MISS' })).toBe(1);
  });

  test.each([
    ['X-Reflex-Cache: refresh', { 'x-reflex-cache': 'refresh' }],
    ['Cache-Control: no-cache', { 'cache-control': 'no-cache' }],
  ])('%s skips the lookup, replaces, answers REFRESH and is counted under REFRESH', async (_name, headers) => {
    const res = await app.post(chat(), headers);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-reflex-status')).toBe('REFRESH');
    expect(app.lookups).toBe(0);
    expect(app.fills[0]).toMatchObject({ replace: true });
    // It waited for its own fill to be stored before answering (read-your-writes).
    expect(app.settled).toEqual([res.headers.get('x-reflex-fill-id')]);
    expect(await counterValue(app.metrics, 'reflex_requests_total', { status: '200', tier: 'REFRESH' })).toBe(1);
    expect(await counterValue(app.metrics, 'reflex_requests_total', { tier: 'ERROR' })).toBe(0);
    expect(await app.metrics.registry.getSingleMetricAsString('reflex_request_duration_seconds')).toMatch(/_count\{tier="REFRESH"\} 1/);
  });

  test('bypass neither looks up nor stores, answers BYPASS and is counted under BYPASS', async () => {
    const res = await app.post(chat(), { 'x-reflex-cache': 'bypass' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-reflex-status')).toBe('BYPASS');
    expect(app.lookups).toBe(0);
    expect(app.fills[0]).toMatchObject({ store: false });
    expect(await counterValue(app.metrics, 'reflex_requests_total', { status: '200', tier: 'BYPASS' })).toBe(1);
    expect(await counterValue(app.metrics, 'reflex_requests_total', { tier: 'ERROR' })).toBe(0);
  });
});

describe('hits', () => {
  test('an exact hit carries Age, no similarity, the stored body, and counts saved tokens', async () => {
    app = await startFakeApp({ lookup: async () => ({ status: 'HIT_L1_EXACT', entry: entryOf('cached', 42_500) }) });
    const res = await app.post(chat());
    expect(res.headers.get('x-reflex-status')).toBe('HIT_L1_EXACT');
    expect(res.headers.get('age')).toBe('42');
    expect(res.headers.get('x-reflex-similarity')).toBeNull();
    expect(await json(res)).toEqual(completion('cached'));
    expect(app.fills).toHaveLength(0);
    expect(await counterValue(app.metrics, 'reflex_tokens_saved_total', { type: 'prompt' })).toBe(3);
  });

  test('a semantic hit carries X-Reflex-Similarity to four places', async () => {
    app = await startFakeApp({ lookup: async () => ({ status: 'HIT_L3_VERIFIED', entry: entryOf('close'), similarity: 0.981234 }) });
    const res = await app.post(chat());
    expect(res.headers.get('x-reflex-status')).toBe('HIT_L3_VERIFIED');
    expect(res.headers.get('x-reflex-similarity')).toBe('0.9812');
    expect(res.headers.get('age')).toBe('0');
    expect(await counterValue(app.metrics, 'reflex_requests_total', { status: '200', tier: 'HIT_L3_VERIFIED' })).toBe(1);
  });

  test("a semantic hit whose audit cannot start is still answered: an audit that fails is logged, never the caller's error", async () => {
    const asked: string[] = [];
    app = await startFakeApp({
      lookup: async () => ({ status: 'HIT_L3_VERIFIED', entry: entryOf('close'), similarity: 0.99 }),
      afterHit: (tenant) => {
        asked.push(tenant);
        throw new Error('temporal client gone');
      },
    });
    const res = await app.post(chat());
    expect(res.status).toBe(200);
    expect(res.headers.get('x-reflex-status')).toBe('HIT_L3_VERIFIED');
    expect(await json(res)).toEqual(completion('close'));
    expect(asked).toHaveLength(1);
  });
});

describe('backpressure (REFLEX_MAX_MISSES, REFLEX_MISS_QUEUE)', () => {
  test('past the misses in flight and the queue, a miss is an OpenAI-shaped 503 with Retry-After; the admitted one is answered', async () => {
    let answer!: () => void;
    const held = new Promise<void>((resolve) => (answer = resolve));
    app = await startFakeApp({
      env: { REFLEX_MAX_MISSES: '1', REFLEX_MISS_QUEUE: '0' },
      fill: async (input) => (await held, { response: completion('fresh'), workflowId: `fill-${input.tenant}-${input.key}`, timing: {} }),
    });
    const first = app.post({ model: 'm', messages: [{ role: 'user', content: 'first question' }] });
    await eventually(() => app.fills.length > 0, { everyMs: 5, what: 'the first miss at the fill client' });
    const refused = await app.post({ model: 'm', messages: [{ role: 'user', content: 'second question' }] });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect((await json(refused)).error).toMatchObject({ type: 'service_unavailable', code: 'gateway_overloaded' });
    answer();
    expect((await first).status).toBe(200);
    expect(app.fills).toHaveLength(1);
    expect(await counterValue(app.metrics, 'reflex_misses_refused_total', { reason: 'queue_full' })).toBe(1);
    // The slot was released: the next miss is admitted.
    expect((await app.post({ model: 'm', messages: [{ role: 'user', content: 'third question' }] })).status).toBe(200);
  });
});
