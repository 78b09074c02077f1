/**
 * Streaming and the per-request cache controls, end to end against the real
 * stack (Temporal dev server, Milvus Lite, the gateway process, an HTTP
 * upstream). SSE is read by hand here; test/e2e/compat drives the SDK.
 */
import { ask, ChatResponse } from '../support/gateway';
import { eventually } from '../support/eventually';
import { useGateway } from '../support/harness';
import { fold, streamChat } from '../support/sse';

const h = useGateway({ REFLEX_PROVIDER_MAX_ATTEMPTS: '2', REFLEX_THRESHOLD_MIN: '0.5' });

const status = (res: { headers: Headers }) => res.headers.get('x-reflex-status');
const content = (res: ChatResponse) => res.body.choices[0].message.content as string;
const stream = (body: unknown, token = 'tenant-s', headers: Record<string, string> = {}, abortAfter?: number) => streamChat(h.gateway.url, body, token, headers, abortAfter);
const fillExists = async (id: string) => (await h.gateway.temporalClient()).workflow.getHandle(id).describe().then(() => true, () => false);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('streaming', () => {
  const Q = ask('Describe the water cycle in two sentences.');
  let original: Awaited<ReturnType<typeof stream>>;

  test('a streaming miss relays the provider chunks, ends with [DONE], and is stored without a second provider call', async () => {
    const before = h.upstream.calls;
    original = await stream({ ...Q, stream_options: { include_usage: true } });
    expect(original.status).toBe(200);
    expect(original.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(status(original)).toBe('MISS');
    expect(original.done).toBe(true);
    expect(new Set(original.events.map((e) => e.id)).size).toBe(1);
    expect(original.events.at(-1)).toMatchObject({ choices: [], usage: { total_tokens: 12 } });
    expect(fold(original.events)[0]).toEqual({ content: `Answer to: ${Q.messages[0]!.content}`, toolCalls: [], finish: 'stop' });
    expect(h.upstream.calls - before).toBe(1);
    expect(h.upstream.received.at(-1)!.body).toEqual({ ...Q, stream: true, stream_options: { include_usage: true } });

    const id = original.headers.get('x-reflex-fill-id')!;
    const handle = (await h.gateway.temporalClient()).workflow.getHandle(id);
    await expect(handle.result()).resolves.toMatchObject({ outcome: 'cached', steps: { provider: 'skipped', store: 'done', index: 'done' } });
    expect(h.upstream.calls - before).toBe(1);
  });

  test('the same request streamed again is a hit replayed with the same id, content, finish_reason and usage', async () => {
    const before = h.upstream.calls;
    const replay = await stream({ ...Q, stream_options: { include_usage: true } });
    expect(status(replay)).toBe('HIT_L1_EXACT');
    expect(replay.headers.get('age')).toMatch(/^\d+$/);
    expect(replay.done).toBe(true);
    expect(new Set(replay.events.map((e) => e.id))).toEqual(new Set([original.events[0].id]));
    expect(replay.events[0].choices[0].delta.role).toBe('assistant');
    expect(fold(replay.events)).toEqual(fold(original.events));
    expect(replay.events.at(-1).usage).toEqual(original.events.at(-1).usage);
    expect(h.upstream.calls).toBe(before);
  });

  test('a non-streaming request hits the answer first fetched by streaming, and the reverse', async () => {
    const hit = await h.gateway.chat(Q, 'tenant-s');
    expect(status(hit)).toBe('HIT_L1_EXACT');
    expect(content(hit)).toBe(fold(original.events)[0]!.content);
    expect(hit.body.id).toBe(original.events[0].id);

    const q2 = ask('Name three primary colours.');
    const miss = await h.gateway.chat(q2, 'tenant-s');
    await h.gateway.awaitFill(miss);
    const replay = await stream(q2);
    expect(status(replay)).toBe('HIT_L1_EXACT');
    expect(fold(replay.events)[0]).toEqual({ content: content(miss), toolCalls: [], finish: 'stop' });
  });

  test('tool calls: replayed stream has the same tool calls and finish_reason as the original', async () => {
    const body = { ...ask('Look up the weather in Oslo.'), tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object' } } }] };
    const first = await stream(body);
    await h.gateway.awaitFill({ status: 200, headers: first.headers, body: null });
    const again = await stream(body);
    expect(status(again)).toBe('HIT_L1_EXACT');
    expect(fold(first.events)[0]!.finish).toBe('tool_calls');
    expect(fold(first.events)[0]!.toolCalls).toEqual([{ id: 'call_0_weather', name: 'weather', arguments: JSON.stringify({ query: 'Look up the weather in Oslo.' }) }]);
    expect(fold(again.events)).toEqual(fold(first.events));
  });

  test('n=2 is cached with both choices and replayed as two streams of chunks', async () => {
    const body = { ...ask('Suggest a name for a cat.'), n: 2 };
    const first = await stream(body);
    await h.gateway.awaitFill({ status: 200, headers: first.headers, body: null });
    const again = await stream(body);
    expect(status(again)).toBe('HIT_L1_EXACT');
    expect(fold(again.events)).toHaveLength(2);
    expect(fold(again.events)).toEqual(fold(first.events));
    const single = await h.gateway.chat(ask('Suggest a name for a cat.'), 'tenant-s');
    expect(status(single)).toBe('MISS'); // n joins the key: one choice is another request
  });

  test('a client that abandons the stream leaves no entry and no fill', async () => {
    h.upstream.streamDelayMs = 50;
    const body = ask('Write a long story about a lighthouse keeper.');
    const cut = await stream(body, 'tenant-s', {}, 2);
    expect(cut.done).toBe(false);
    // The gateway stops the provider stream too. The upstream keeps its per-chunk delay until then:
    // without it the rest of the story is written at once and the stream ends before any abort.
    await eventually(() => h.upstream.abortedStreams >= 1, { what: 'the provider saw its stream aborted' });
    h.upstream.streamDelayMs = 0;
    expect(await fillExists(cut.headers.get('x-reflex-fill-id')!)).toBe(false);
    const again = await h.gateway.chat(body, 'tenant-s');
    expect(status(again)).toBe('MISS');
    await h.gateway.awaitFill(again);
  });

  test('a stream the provider breaks off ends with an error event, without [DONE], and is not cached', async () => {
    h.upstream.breakNextStreams = 1;
    const body = ask('Explain how tides work.');
    const broken = await stream(body);
    expect(broken.done).toBe(false);
    expect(broken.events.at(-1).error).toMatchObject({ type: 'api_error' });
    expect(await fillExists(broken.headers.get('x-reflex-fill-id')!)).toBe(false);
    const again = await stream(body);
    expect(status(again)).toBe('MISS');
    expect(again.done).toBe(true);
  });

  test('identical concurrent streaming misses share one provider stream', async () => {
    const before = h.upstream.calls;
    h.upstream.streamDelayMs = 20;
    const body = ask('List the planets of the solar system.');
    const results = await Promise.all(Array.from({ length: 12 }, () => stream(body, 'tenant-c')));
    h.upstream.streamDelayMs = 0;
    expect(h.upstream.calls - before).toBe(1);
    // One leader paid (MISS); followers say JOINED; a caller that arrives after the answer exists gets an exact hit (read-your-writes).
    expect(results.every((r) => r.done && ['MISS', 'JOINED', 'HIT_L1_EXACT'].includes(status(r)!))).toBe(true);
    expect(results.filter((r) => status(r) === 'MISS')).toHaveLength(1);
    expect(new Set(results.map((r) => JSON.stringify(fold(r.events)))).size).toBe(1);
  });

  test('a provider refusal before the first byte is an ordinary JSON error with its status', async () => {
    h.upstream.failNext({ status: 400, body: { error: { message: 'bad stop', type: 'invalid_request_error', param: 'stop', code: null } } });
    const res = await stream(ask('A streamed question the provider refuses.'));
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ message: 'bad stop', param: 'stop' });
  });
});

describe('per-request controls', () => {
  const A = 'How do I reset my router password?';
  let firstId: string;

  beforeAll(async () => {
    const miss = await h.gateway.chat(ask(A), 'tenant-k');
    firstId = miss.body.id;
    await h.gateway.awaitFill(miss);
  });

  test('hits carry Age; semantic hits carry X-Reflex-Similarity', async () => {
    const exact = await h.gateway.chat(ask(A), 'tenant-k');
    expect(status(exact)).toBe('HIT_L1_EXACT');
    expect(exact.headers.get('age')).toMatch(/^\d+$/); // present, whole seconds (Number(null) would be 0)
    expect(exact.headers.get('x-reflex-similarity')).toBeNull();
    const para = await h.gateway.chat(ask('How can I reset my router password?'), 'tenant-k');
    expect(status(para)).toBe('HIT_L3_VERIFIED');
    expect(Number(para.headers.get('x-reflex-similarity'))).toBeGreaterThan(0.9);
  });

  test('X-Reflex-Threshold raises (and lowers) the semantic floor for one request, within bounds', async () => {
    const para = ask('How can I reset my router password?');
    const strict = await h.gateway.chat(para, 'tenant-k', { 'X-Reflex-Threshold': '0.9999', 'X-Reflex-Cache': 'only-if-cached' });
    expect(strict.status).toBe(504);
    const loose = ask('What are the steps to change the password of my wifi router?');
    const defaultFloor = await h.gateway.chat(loose, 'tenant-k', { 'X-Reflex-Cache': 'only-if-cached' });
    expect(defaultFloor.status).toBe(504);
    const lowered = await h.gateway.chat(loose, 'tenant-k', { 'X-Reflex-Threshold': '0.5', 'X-Reflex-Cache': 'only-if-cached' });
    expect(status(lowered)).toBe('HIT_L3_VERIFIED');
    const outOfBounds = await h.gateway.chat(para, 'tenant-k', { 'X-Reflex-Threshold': '0.1' });
    expect(outOfBounds.status).toBe(400);
    expect(outOfBounds.body.error.param).toBe('X-Reflex-Threshold');
  });

  test('only-if-cached: 504 on a miss without calling the provider, 200 on a hit', async () => {
    const before = h.upstream.calls;
    const miss = await h.gateway.chat(ask('Never asked before: what is a quasar?'), 'tenant-k', { 'X-Reflex-Cache': 'only-if-cached' });
    expect(miss.status).toBe(504);
    expect(miss.body.error.code).toBe('cache_miss');
    const streamed = await stream(ask('Never asked before: what is a quasar?'), 'tenant-k', { 'X-Reflex-Cache': 'only-if-cached' });
    expect(streamed.status).toBe(504);
    expect(h.upstream.calls).toBe(before);
    const hit = await h.gateway.chat(ask(A), 'tenant-k', { 'X-Reflex-Cache': 'only-if-cached' });
    expect(status(hit)).toBe('HIT_L1_EXACT');
  });

  test('X-Reflex-Cache: bypass calls the provider despite the entry and stores nothing', async () => {
    const before = h.upstream.calls;
    const res = await h.gateway.chat(ask(A), 'tenant-k', { 'X-Reflex-Cache': 'bypass' });
    expect(status(res)).toBe('BYPASS');
    expect(h.upstream.calls).toBe(before + 1);
    expect(res.body.id).not.toBe(firstId);
    const after = await h.gateway.chat(ask(A), 'tenant-k');
    expect(after.body.id).toBe(firstId);
  });

  test.each([
    ['Cache-Control: no-cache', { 'Cache-Control': 'no-cache' }],
    ['X-Reflex-Cache: refresh', { 'X-Reflex-Cache': 'refresh' }],
  ])('%s fetches fresh and replaces the entry', async (_name, headers) => {
    const before = h.upstream.calls;
    const res = await h.gateway.chat(ask(A), 'tenant-k', headers);
    expect(status(res)).toBe('REFRESH');
    expect(h.upstream.calls).toBe(before + 1);
    await h.gateway.awaitFill(res);
    const after = await h.gateway.chat(ask(A), 'tenant-k');
    expect(status(after)).toBe('HIT_L1_EXACT');
    expect(after.body.id).toBe(res.body.id);
    firstId = res.body.id;
  });

  test('a streamed refresh replaces the entry too', async () => {
    const res = await stream(ask(A), 'tenant-k', { 'Cache-Control': 'no-cache' });
    expect(status(res)).toBe('REFRESH');
    const after = await h.gateway.chat(ask(A), 'tenant-k');
    expect(after.body.id).toBe(res.events[0].id);
  });

  test('Cache-Control: no-store answers without storing, streamed or not', async () => {
    const body = ask('A private question that must not be stored.');
    const res = await h.gateway.chat(body, 'tenant-k', { 'Cache-Control': 'no-store' });
    expect(status(res)).toBe('MISS');
    await expect(h.gateway.awaitFill(res)).resolves.toMatchObject({ outcome: 'not_stored' });
    const streamed = await stream(body, 'tenant-k', { 'Cache-Control': 'no-store' });
    expect(streamed.done).toBe(true);
    expect(streamed.headers.get('x-reflex-fill-id')).toBeNull();
    await sleep(300);
    const later = await h.gateway.chat(body, 'tenant-k', { 'X-Reflex-Cache': 'only-if-cached' });
    expect(later.status).toBe(504);
  });

  test('finish_reason length is never cached, streamed or not', async () => {
    const body = ask('Tell me everything [truncate]');
    const first = await h.gateway.chat(body, 'tenant-k');
    await expect(h.gateway.awaitFill(first)).resolves.toMatchObject({ outcome: 'not_cacheable' });
    const streamed = await stream(body);
    expect(fold(streamed.events)[0]!.finish).toBe('length');
    await h.gateway.awaitFill({ status: 200, headers: streamed.headers, body: null });
    const later = await h.gateway.chat(body, 'tenant-k', { 'X-Reflex-Cache': 'only-if-cached' });
    expect(later.status).toBe(504);
  });

  test('X-Reflex-Format: tauq re-encodes a JSON answer; the default is the provider message', async () => {
    const body = { ...ask('Give me the items as JSON.'), response_format: { type: 'json_object' } };
    const plain = await h.gateway.chat(body, 'tenant-k');
    await h.gateway.awaitFill(plain);
    expect(JSON.parse(content(plain))).toMatchObject({ items: [{ id: 1, name: 'alpha' }, { id: 2, name: 'beta' }] });
    const tauq = await h.gateway.chat(body, 'tenant-k', { 'X-Reflex-Format': 'tauq' });
    expect(status(tauq)).toBe('HIT_L1_EXACT');
    expect(tauq.headers.get('x-reflex-format')).toBe('tauq');
    expect(content(tauq)).toBe('!def Item id name\n---\nanswer "Give me the items as JSON."\nchoice 0\nitems [\n  !use Item\n  1 alpha\n  2 beta\n]');
  });

  test('unknown control values are a 400', async () => {
    const res = await h.gateway.chat(ask(A), 'tenant-k', { 'X-Reflex-Cache': 'sometimes' });
    expect(res.status).toBe(400);
    expect(res.body.error.param).toBe('X-Reflex-Cache');
  });
});

describe('a refresh right after a miss (the miss\'s fill still open)', () => {
  const requests = async () => (await h.gateway.request('GET', '/metrics')).body as string;
  const refreshes = async () => Number(/reflex_requests_total\{status="200",tier="REFRESH"\} (\d+)/.exec(await requests())?.[1] ?? 0);

  test('calls the provider again, answers REFRESH, is counted under REFRESH, and the next request gets the new answer', async () => {
    const body = ask('Which planet has the most moons?');
    const before = { calls: h.upstream.calls, refreshes: await refreshes() };
    const miss = await h.gateway.chat(body, 'tenant-r');
    expect(status(miss)).toBe('MISS');
    // Within 50 ms: the miss's fill is still storing and indexing under fill-<tenant>-<key>.
    const refresh = await h.gateway.chat(body, 'tenant-r', { 'X-Reflex-Cache': 'refresh' });
    expect(status(refresh)).toBe('REFRESH');
    expect(h.upstream.calls - before.calls).toBe(2);
    expect(refresh.body.id).not.toBe(miss.body.id);
    expect(refresh.headers.get('x-reflex-fill-id')).not.toBe(miss.headers.get('x-reflex-fill-id'));
    expect(await refreshes()).toBe(before.refreshes + 1);
    const next = await h.gateway.chat(body, 'tenant-r');
    expect(status(next)).toBe('HIT_L1_EXACT');
    expect(next.body.id).toBe(refresh.body.id);
    await expect(h.gateway.awaitFill(refresh)).resolves.toMatchObject({ outcome: 'cached' });
  });

  test('a streamed refresh hands its own answer to a fill of its own and replaces the entry', async () => {
    const body = ask('Which planet has the longest day?');
    const miss = await h.gateway.chat(body, 'tenant-r');
    const refreshed = await stream(body, 'tenant-r', { 'X-Reflex-Cache': 'refresh' });
    expect(status(refreshed)).toBe('REFRESH');
    expect(refreshed.done).toBe(true);
    expect(refreshed.events[0].id).not.toBe(miss.body.id);
    const next = await h.gateway.chat(body, 'tenant-r');
    expect(next.body.id).toBe(refreshed.events[0].id);
  });
});
