/**
 * Traces: an API process and a separate worker process, both exporting over
 * OTLP/HTTP to a receiver this test runs. One chat miss must produce one
 * connected trace: the API's request span → the Temporal client's
 * update-with-start → the fill workflow → its activities (provider call,
 * entry write, index), every parent link resolving inside the trace, spans
 * from both services, and the cache tier, hashed tenant and fill id on the
 * request span.
 */
import { eventually } from '../support/eventually';
import { GatewayProcess } from '../support/gateway';
import { OtlpReceiver, ReceivedSpan } from '../support/otlpReceiver';
import { startStack, TestStack } from '../support/stack';
import { FakeUpstream } from '../support/upstream';

let stack: TestStack;
let upstream: FakeUpstream;
let receiver: OtlpReceiver;
let api: GatewayProcess;
let worker: GatewayProcess;

beforeAll(async () => {
  stack = await startStack();
  upstream = new FakeUpstream();
  await upstream.start();
  receiver = new OtlpReceiver();
  await receiver.start();
  const env = { REFLEX_UPSTREAM_URL: upstream.url, REFLEX_CLIENT_DEADLINE_MS: '30000', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '200' };
  worker = new GatewayProcess(stack, { ...env, OTEL_SERVICE_NAME: 'reflex-worker' }, 'worker');
  await worker.start();
  api = new GatewayProcess(stack, { ...env, OTEL_SERVICE_NAME: 'reflex-api' }, 'api');
  await api.start();
}, 180_000);

afterAll(async () => {
  await api?.stop();
  await worker?.stop();
  await receiver?.stop();
  await upstream?.stop();
  await stack?.stop();
});

function traceOf(predicate: (spans: ReceivedSpan[]) => boolean, traceId: () => string | undefined): Promise<ReceivedSpan[]> {
  const spansOf = (id: string | undefined) => (id ? receiver.spans.filter((s) => s.traceId === id) : []);
  return eventually(() => spansOf(traceId()), { until: predicate, ms: 30_000, everyMs: 250, what: 'the whole trace exported' });
}

test('a miss is one connected trace across the API and the worker', async () => {
  const res = await api.chat({ model: 'test-model', messages: [{ role: 'user', content: 'Trace this question.' }] }, 'trace-tenant');
  expect(res.status).toBe(200);
  expect(res.headers.get('x-reflex-status')).toBe('MISS');
  const fillId = res.headers.get('x-reflex-fill-id')!;
  await api.awaitFill(res);

  const root = () => receiver.spans.find((s) => s.name === 'POST /v1/chat/completions' && s.attributes['reflex.fill_id'] === fillId);
  // The provider call is the local activity obtainAnswer; store and index run after the answer.
  const required = ['UpdateWithStartWorkflow:answer', 'RunWorkflow:cacheFillWorkflow', 'RunActivity:obtainAnswer', 'RunActivity:storeAndIndexEntry'];
  // Spans are exported in batches and the workflow's only when it ends: wait for the whole tree.
  const whole = (all: ReceivedSpan[]) => {
    const ids = new Set(all.map((s) => s.spanId));
    return required.every((n) => all.some((s) => s.name === n)) && all.every((s) => !s.parentSpanId || ids.has(s.parentSpanId));
  };
  const spans = await traceOf(whole, () => root()?.traceId);
  const request = root()!;
  expect(request).toBeDefined();
  expect(request.parentSpanId).toBeUndefined();
  expect(request.service).toBe('reflex-api');
  expect(request.attributes).toMatchObject({ 'reflex.cache.tier': 'MISS', 'reflex.fill_id': fillId, 'http.response.status_code': 200 });
  // The tenant is the gateway's 16-hex hash, never the token.
  expect(request.attributes['reflex.tenant']).toMatch(/^[0-9a-f]{16}$/);
  expect(JSON.stringify(receiver.spans)).not.toContain('trace-tenant');

  const names = spans.map((s) => s.name);
  expect(names).toEqual(expect.arrayContaining(required));
  // Every span but the request's has its parent in the same trace.
  const ids = new Set(spans.map((s) => s.spanId));
  for (const span of spans) if (span !== request) expect({ name: span.name, parentFound: ids.has(span.parentSpanId ?? '') }).toEqual({ name: span.name, parentFound: true });
  // The chain: request → update-with-start → … → the workflow run → its activities, in the worker process.
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const ancestors = (s: ReceivedSpan) => {
    const out: string[] = [];
    for (let p = s.parentSpanId && byId.get(s.parentSpanId); p; p = p.parentSpanId ? byId.get(p.parentSpanId) : undefined) out.push(p.name);
    return out;
  };
  const provider = spans.find((s) => s.name === 'RunActivity:obtainAnswer')!;
  expect(provider.service).toBe('reflex-worker');
  expect(ancestors(provider)).toEqual(expect.arrayContaining(['RunWorkflow:cacheFillWorkflow', 'UpdateWithStartWorkflow:answer', 'POST /v1/chat/completions']));
}, 90_000);

test('a hit is a trace of its own, tier HIT_L1_EXACT, with no workflow in it', async () => {
  const res = await api.chat({ model: 'test-model', messages: [{ role: 'user', content: 'Trace this question.' }] }, 'trace-tenant');
  expect(res.headers.get('x-reflex-status')).toBe('HIT_L1_EXACT');
  const hit = () => receiver.spans.find((s) => s.name === 'POST /v1/chat/completions' && s.attributes['reflex.cache.tier'] === 'HIT_L1_EXACT');
  const spans = await traceOf((all) => all.length > 0, () => hit()?.traceId);
  expect(spans.map((s) => s.name)).toEqual(['POST /v1/chat/completions']);
});
