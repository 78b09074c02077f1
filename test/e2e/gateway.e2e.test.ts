/**
 * The end-to-end contract of the cache, against the real stack: a Temporal
 * dev server, Milvus Lite, the gateway as its own process, and an
 * OpenAI-compatible upstream reached over HTTP.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ask, ChatResponse } from '../support/gateway';
import { useGateway } from '../support/harness';
import { fold, streamChat } from '../support/sse';

const A = 'How do I reset my router password?';
const A_PARAPHRASE = 'How can I reset my router password?';
const UNRELATED = 'What is the boiling point of water at sea level?';

// Debug logs, so the secrets test checks everything the gateway can write.
const h = useGateway({ REFLEX_LOG_LEVEL: 'debug' });

const content = (res: ChatResponse) => res.body.choices[0].message.content as string;
const status = (res: ChatResponse) => res.headers.get('x-reflex-status');

describe('exact and semantic hits', () => {
  let first: ChatResponse;

  test('a new question is a MISS answered by the provider', async () => {
    first = await h.gateway.chat(ask(A), 'tenant-a');
    expect(first.status).toBe(200);
    expect(status(first)).toBe('MISS');
    expect(content(first)).toBe(`Answer to: ${A}`);
    expect(h.upstream.calls).toBe(1);
    // No upstream key configured: the caller's own token is forwarded.
    expect(h.upstream.received[0]!.headers.authorization).toBe('Bearer tenant-a');
    await expect(h.gateway.awaitFill(first)).resolves.toMatchObject({ outcome: 'cached' });
  });

  test('the same question again is an L1 hit with the identical body', async () => {
    const again = await h.gateway.chat(ask(A), 'tenant-a');
    expect(status(again)).toBe('HIT_L1_EXACT');
    expect(again.body).toEqual(first.body);
    expect(h.upstream.calls).toBe(1);
  });

  test("a paraphrase is a verified semantic hit with A's answer", async () => {
    const para = await h.gateway.chat(ask(A_PARAPHRASE), 'tenant-a');
    expect(status(para)).toBe('HIT_L3_VERIFIED');
    expect(para.body).toEqual(first.body);
    expect(h.upstream.calls).toBe(1);
  });

  test('an unrelated question is a MISS', async () => {
    const other = await h.gateway.chat(ask(UNRELATED), 'tenant-a');
    expect(status(other)).toBe('MISS');
    expect(content(other)).toBe(`Answer to: ${UNRELATED}`);
    await h.gateway.awaitFill(other);
  });

  test('another bearer token is another tenant: MISS', async () => {
    const before = h.upstream.calls;
    const res = await h.gateway.chat(ask(A), 'tenant-b');
    expect(status(res)).toBe('MISS');
    expect(h.upstream.calls).toBe(before + 1);
    await h.gateway.awaitFill(res);
    const para = await h.gateway.chat(ask(A_PARAPHRASE), 'tenant-c');
    expect(status(para)).toBe('MISS');
    await h.gateway.awaitFill(para);
  });

  test('after a restart, A is served from disk and the paraphrase still hits', async () => {
    await h.gateway.restart();
    const again = await h.gateway.chat(ask(A), 'tenant-a');
    expect(status(again)).toBe('HIT_L1_EXACT');
    expect(again.body).toEqual(first.body);
    const para = await h.gateway.chat(ask('how can i reset the password on my router'), 'tenant-a');
    expect(status(para)).toBe('HIT_L3_VERIFIED');
    expect(para.body).toEqual(first.body);
  });

  test('the fill is readable in Temporal: id, completion and its activities', async () => {
    const id = first.headers.get('x-reflex-fill-id')!;
    expect(id).toMatch(/^fill-[0-9a-f]{16}-[0-9a-f]{64}$/);
    const handle = (await h.gateway.temporalClient()).workflow.getHandle(id);
    const description = await handle.describe();
    expect(description.status.name).toBe('COMPLETED');
    expect(description.memo).toMatchObject({ model: 'test-model', kind: 'fill' });
    await expect(handle.result()).resolves.toMatchObject({ outcome: 'cached', steps: { provider: 'done', store: 'done', index: 'done' } });
    const history = await handle.fetchHistory();
    const events = history.events ?? [];
    // Started eagerly in this process, the fill runs in one workflow task: the provider call, then store + index,
    // are local activities (markers), and no activity task is scheduled (Milvus is up, so the index activity never runs).
    const localActivities = events
      .map((e) => e.markerRecordedEventAttributes)
      .filter((m) => m?.markerName === 'core_local_activity')
      .map((m) => (JSON.parse(Buffer.from(m!.details!.data!.payloads![0]!.data!).toString('utf8')) as { activity_type: string }).activity_type);
    expect(localActivities).toEqual(['obtainAnswer', 'storeAndIndexEntry']);
    expect(events.filter((e) => e.activityTaskScheduledEventAttributes)).toHaveLength(0);
    expect(events.filter((e) => e.workflowTaskCompletedEventAttributes)).toHaveLength(1);
    // Started with its presumed outcome: a cached end upserts neither memo nor search attributes.
    expect(events.filter((e) => e.upsertWorkflowSearchAttributesEventAttributes || e.workflowPropertiesModifiedEventAttributes)).toHaveLength(0);
  });
});

describe('secrets', () => {
  test('a forwarded bearer token reaches the provider but is never stored in Temporal or written to the logs', async () => {
    const token = 'sk-reflex-e2e-SECRET-4b1d';
    const res = await h.gateway.chat(ask('Which secrets does a caching gateway keep?'), token);
    expect(res.status).toBe(200);
    expect(h.upstream.received.at(-1)!.headers.authorization).toBe(`Bearer ${token}`);
    await h.gateway.awaitFill(res);
    const history = await (await h.gateway.temporalClient()).workflow.getHandle(res.headers.get('x-reflex-fill-id')!).fetchHistory();
    const payloads = (history.events ?? []).flatMap((e) => [
      ...(e.workflowExecutionStartedEventAttributes?.input?.payloads ?? []),
      ...(e.activityTaskScheduledEventAttributes?.input?.payloads ?? []),
    ]);
    const stored = (await h.gateway.codec().decode(payloads)).map((p) => Buffer.from(p.data ?? []).toString('utf8')).join('\n');
    expect(stored).toContain('sealedToken'); // the token did travel, sealed (and inside the encrypted payload)
    expect(stored).not.toContain(token);
    // The tenant in the fill's id is keyed (HMAC with the server secret), not a plain hash of the token.
    expect(res.headers.get('x-reflex-fill-id')).not.toContain(createHash('sha256').update(token).digest('hex').slice(0, 16));
    expect(res.headers.get('x-reflex-fill-id')).toContain(h.gateway.tenantOf(token));
    expect(readFileSync(path.join(h.stack.home, 'gateway.log'), 'utf8')).not.toContain(token);
  });
});

/** reflex_requests_total of one tier (status 200), from /metrics. */
async function tierCount(tier: string): Promise<number> {
  const text = (await h.gateway.request('GET', '/metrics')).body as string;
  const m = new RegExp(`reflex_requests_total\\{status="200",tier="${tier}"\\} (\\d+)`).exec(text);
  return m ? Number(m[1]) : 0;
}

describe('coalescing', () => {
  test('50 concurrent identical misses share one provider call: one is the MISS that paid, 49 say JOINED and count as saved', async () => {
    const before = h.upstream.calls;
    const joinedBefore = await tierCount('JOINED');
    h.upstream.delayMs = 500;
    const q = ask('Explain coalescing of identical concurrent requests in one sentence.');
    const results = await Promise.all(Array.from({ length: 50 }, () => h.gateway.chat(q, 'tenant-a')));
    h.upstream.delayMs = 0;
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(new Set(results.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect(h.upstream.calls - before).toBe(1);
    expect(results.filter((r) => status(r) === 'MISS')).toHaveLength(1);
    expect(results.filter((r) => status(r) === 'JOINED')).toHaveLength(49);
    expect(results.every((r) => r.headers.get('x-reflex-fill-id') === results[0]!.headers.get('x-reflex-fill-id'))).toBe(true);
    expect((await tierCount('JOINED')) - joinedBefore).toBe(49);
  });
});

describe('provider errors', () => {
  test('a provider 400 reaches the client as an OpenAI-shaped 400 and nothing is cached', async () => {
    const before = h.upstream.calls;
    const error = { error: { message: 'max_tokens is too large', type: 'invalid_request_error', param: 'max_tokens', code: 'invalid_value' } };
    h.upstream.failNext({ status: 400, body: error });
    const q = ask('A question the provider rejects the first time.');
    const res = await h.gateway.chat(q, 'tenant-a');
    expect(res.status).toBe(400);
    expect(res.body).toEqual(error);
    expect(h.upstream.calls - before).toBe(1); // 4xx is not retried
    const again = await h.gateway.chat(q, 'tenant-a');
    expect(again.status).toBe(200);
    expect(status(again)).toBe('MISS');
    expect(h.upstream.calls - before).toBe(2);
  });

  test('a provider 500 is retried and the client gets the 200', async () => {
    const before = h.upstream.calls;
    h.upstream.failNext({ status: 500 });
    const res = await h.gateway.chat(ask('A question that meets a flaky provider.'), 'tenant-a');
    expect(res.status).toBe(200);
    expect(content(res)).toBe('Answer to: A question that meets a flaky provider.');
    expect(h.upstream.calls - before).toBe(2);
  });

  test('a provider that keeps failing gives a 502, and nothing is cached', async () => {
    h.upstream.failNext({ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 });
    const q = ask('A question for a provider that is down.');
    const res = await h.gateway.chat(q, 'tenant-a');
    expect(res.status).toBe(502);
    expect(res.body.error).toMatchObject({ type: 'api_error', code: 'upstream_error' });
    const again = await h.gateway.chat(q, 'tenant-a');
    expect(status(again)).toBe('MISS');
  });
});

describe('bad input is a 4xx, never a 5xx', () => {
  const cases: [string, string, number][] = [
    ['malformed JSON', '{"model": "x", "messages": [', 400],
    ['a JSON array', '[1, 2, 3]', 400],
    ['missing messages', '{"model": "x"}', 400],
    ['wrong types', '{"model": 42, "messages": "hello"}', 400],
    ['an unknown role', '{"model": "x", "messages": [{"role": "robot", "content": "hi"}]}', 400],
    ['legacy functions', '{"model": "x", "messages": [{"role": "user", "content": "hi"}], "functions": []}', 400],
    ['legacy function_call', '{"model": "x", "messages": [{"role": "user", "content": "hi"}], "function_call": "auto"}', 400],
    ['a function-role message', '{"model": "x", "messages": [{"role": "function", "name": "f", "content": "hi"}]}', 400],
    ['temperature out of range', '{"model": "x", "messages": [{"role": "user", "content": "hi"}], "temperature": 7}', 400],
  ];
  test.each(cases.map(([name, body, expected]) => ({ name, body, expected })))('$name → $expected with an OpenAI error body', async ({ body, expected }) => {
    const res = await h.gateway.request('POST', '/v1/chat/completions', body, 'tenant-a');
    expect(res.status).toBe(expected);
    expect(res.body.error).toEqual(expect.objectContaining({ message: expect.any(String), type: 'invalid_request_error' }));
    expect(res.body.error).toHaveProperty('param');
    expect(res.body.error).toHaveProperty('code');
  });

  test('a 10 MB body → 413', async () => {
    const huge = JSON.stringify(ask('x'.repeat(10 * 1024 * 1024)));
    const res = await h.gateway.request('POST', '/v1/chat/completions', huge, 'tenant-a');
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('request_too_large');
  });

  test('an unknown route → 404 OpenAI-shaped', async () => {
    const res = await h.gateway.request('GET', '/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body.error.type).toBe('invalid_request_error');
  });
});

describe('degradation', () => {
  test('Milvus down: L1 hits served, misses answered; back up: the entry becomes reachable by paraphrase', async () => {
    await h.stack.stopMilvus();
    const ready = await h.gateway.request('GET', '/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.checks.milvus.ok).toBe(false);

    const hit = await h.gateway.chat(ask(A), 'tenant-a');
    expect(status(hit)).toBe('HIT_L1_EXACT');

    const question = 'Which wire gauge do I need for a 20 amp circuit?';
    const miss = await h.gateway.chat(ask(question), 'tenant-a');
    expect(miss.status).toBe(200);
    expect(status(miss)).toBe('MISS');
    const fill = h.gateway.awaitFill(miss); // blocked on the index step while Milvus is down

    await new Promise((r) => setTimeout(r, 2_000));
    await h.stack.startMilvus();
    await expect(fill).resolves.toMatchObject({ outcome: 'cached' });
    const calls = h.upstream.calls;
    const para = await h.gateway.chat(ask('What wire gauge do I need for a 20 amp circuit?'), 'tenant-a');
    expect(status(para)).toBe('HIT_L3_VERIFIED');
    expect(content(para)).toBe(`Answer to: ${question}`);
    expect(h.upstream.calls).toBe(calls);
    // Close in wording, different in substance: the verifier must not serve it.
    const other = await h.gateway.chat(ask('Which wire gauge do I need for a 30 amp circuit?'), 'tenant-a');
    expect(status(other)).toBe('MISS');
    expect(content(other)).toBe('Answer to: Which wire gauge do I need for a 30 amp circuit?');
  });
});

describe('Temporal outage', () => {
  test('hits are served, misses (JSON and streamed) are answered and kept in the outbox, and once Temporal is back every one is cached without a second provider call', async () => {
    await h.stack.stopTemporal();
    const ready = await h.gateway.request('GET', '/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'degraded', degraded: ['temporal'], checks: { temporal: { ok: false } } });

    const hit = await h.gateway.chat(ask(A), 'tenant-a');
    expect(status(hit)).toBe('HIT_L1_EXACT');
    const para = await h.gateway.chat(ask(A_PARAPHRASE), 'tenant-a');
    expect(status(para)).toBe('HIT_L3_VERIFIED');

    const before = h.upstream.calls;
    const questions = Array.from({ length: 6 }, (_, i) => `A question asked while Temporal is down, number ${i}.`);
    for (const [i, q] of questions.entries()) {
      if (i % 2 === 0) {
        const miss = await h.gateway.chat(ask(q), 'tenant-a');
        expect(miss.status).toBe(200);
        expect(content(miss)).toBe(`Answer to: ${q}`);
        expect(miss.headers.get('x-reflex-degraded')).toBe('outbox');
        expect(miss.headers.get('x-reflex-fill-id')).toBeNull(); // no workflow exists to name
      } else {
        const streamed = await streamChat(h.gateway.url, ask(q), 'tenant-a');
        expect(streamed.status).toBe(200);
        expect(streamed.done).toBe(true);
        expect(fold(streamed.events)[0]!.content).toBe(`Answer to: ${q}`);
      }
    }
    expect(h.upstream.calls - before).toBe(questions.length);
    const metrics = await h.gateway.request('GET', '/metrics');
    expect(metrics.body).toMatch(/reflex_degraded\{dependency="temporal"\} 1/);
    expect(metrics.body).toMatch(/reflex_outbox_total\{event="written"\} [1-9]/);

    // Nothing held in memory: the outbox on disk is what survives.
    await h.gateway.stop();
    await h.stack.startTemporal();
    await h.gateway.start();
    const deadline = Date.now() + 90_000;
    for (const q of questions) {
      let cached = await h.gateway.chat(ask(q), 'tenant-a', { 'X-Reflex-Cache': 'only-if-cached' });
      while (cached.status !== 200 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 1_000));
        cached = await h.gateway.chat(ask(q), 'tenant-a', { 'X-Reflex-Cache': 'only-if-cached' });
      }
      expect(cached.status).toBe(200);
      expect(content(cached)).toBe(`Answer to: ${q}`);
    }
    expect(h.upstream.calls - before).toBe(questions.length);

    const after = await h.gateway.chat(ask('A question asked after Temporal came back.'), 'tenant-a');
    expect(after.status).toBe(200);
    expect(after.headers.get('x-reflex-fill-id')).toMatch(/^fill-/);
  });
});
