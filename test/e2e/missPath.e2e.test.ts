/**
 * The miss path's contract (issue 9), end to end against the real stack:
 * read-your-writes, requests up to the body limit through Temporal by
 * reference only (claim check), one provider call per identical
 * concurrent miss whatever the mix of stream and JSON callers, and one per
 * miss even when Temporal crashes after the answer was given (answer board)
 * but before it recorded the workflow task that obtained it.
 */
import { ask, ChatResponse } from '../support/gateway';
import { eventually } from '../support/eventually';
import { useGateway } from '../support/harness';
import { fold, streamChat } from '../support/sse';

const h = useGateway();

const status = (res: { headers: Headers }) => res.headers.get('x-reflex-status');
const content = (res: ChatResponse) => res.body.choices[0].message.content as string;
const TWO_MIB = 2 * 1024 * 1024;


describe('read-your-writes', () => {
  test('10 back-to-back "miss, then the same request at once" pairs: 10 hits, 10 provider calls', async () => {
    const before = h.upstream.calls;
    const repeats: string[] = [];
    for (let i = 0; i < 10; i++) {
      const q = ask(`Read-your-writes question number ${i}: what is ${i} squared?`);
      const miss = await h.gateway.chat(q, 'tenant-ryw');
      expect(status(miss)).toBe('MISS');
      const again = await h.gateway.chat(q, 'tenant-ryw');
      expect(again.body).toEqual(miss.body);
      repeats.push(status(again)!);
    }
    expect(repeats).toEqual(Array(10).fill('HIT_L1_EXACT'));
    expect(h.upstream.calls - before).toBe(10);
  });
});

describe('claim check', () => {
  test('Temporal history holds references, not the prompt or the answer: decoded with the payload key, only the summary\'s first words and a bounded excerpt', async () => {
    // Past the details' 400-character excerpt: the end of the prompt must never reach history.
    const question = `A prompt whose opening words name the fill in the Temporal UI. ${'Padding words for a long question. '.repeat(14)}zebra-quartz-1187`;
    const res = await h.gateway.chat(ask(question), 'tenant-cc');
    expect(res.status).toBe(200);
    await expect(h.gateway.awaitFill(res)).resolves.toMatchObject({ outcome: 'cached' });
    const text = await h.gateway.historyText(res.headers.get('x-reflex-fill-id')!);
    expect(text).toContain('requestRef');
    expect(text).toContain('“A prompt whose opening words name the fill in the…”'); // the summary
    expect(text).not.toContain('zebra-quartz-1187');
    expect(text).not.toContain('Answer to:');
  });

  test('a 2 MiB request is answered and then served from cache, as JSON and streamed', async () => {
    const big = (tag: string) => ({
      model: 'test-model',
      messages: [
        { role: 'system', content: `${tag} `.padEnd(TWO_MIB, 'x') },
        { role: 'user', content: [{ type: 'text', text: `Describe the attached image (${tag}).` }, { type: 'image_url', image_url: { url: `data:image/png;base64,${'A'.repeat(64 * 1024)}` } }] },
      ],
    });
    const before = h.upstream.calls;

    const json = big('json');
    const miss = await h.gateway.chat(json, 'tenant-big');
    expect(miss.status).toBe(200);
    expect(status(miss)).toBe('MISS');
    await expect(h.gateway.awaitFill(miss)).resolves.toMatchObject({ outcome: 'cached' });
    await h.gateway.restart(); // served from storage, not from this process's memory
    const hit = await h.gateway.chat(json, 'tenant-big', { 'X-Reflex-Cache': 'only-if-cached' });
    expect(hit.status).toBe(200);
    expect(hit.body).toEqual(miss.body);

    const streamed = big('stream');
    const first = await streamChat(h.gateway.url, streamed, 'tenant-big');
    expect(first.status).toBe(200);
    expect(first.done).toBe(true);
    await expect(h.gateway.awaitFill({ status: 200, headers: first.headers, body: null })).resolves.toMatchObject({ outcome: 'cached' });
    const again = await streamChat(h.gateway.url, streamed, 'tenant-big', { 'X-Reflex-Cache': 'only-if-cached' });
    expect(again.status).toBe(200);
    expect(status(again)).toBe('HIT_L1_EXACT');
    expect(fold(again.events)[0]!.content).toBe(fold(first.events)[0]!.content);
    expect(h.upstream.calls - before).toBe(2);
  });
});

describe('eager start (API and worker in one process)', () => {
  test("a miss starts its fill eagerly on the worker's connection: no update in its history, the answer came through the board", async () => {
    const res = await h.gateway.chat(ask('Eager start question: which port does the gateway use?'), 'tenant-eager');
    expect(status(res)).toBe('MISS');
    await expect(h.gateway.awaitFill(res)).resolves.toMatchObject({ outcome: 'cached' });
    const events = await h.gateway.historyEvents(res.headers.get('x-reflex-fill-id')!);
    expect(events.slice(0, 3)).toEqual(['workflowExecutionStarted', 'workflowTaskScheduled', 'workflowTaskStarted']);
    expect(events).toContain('markerRecorded'); // the local activity's result
    expect(events.filter((e) => e.startsWith('workflowExecutionUpdate'))).toEqual([]);
  });
});

describe('mixed coalescing', () => {
  test('10 prompts, each asked 4× streamed and 4× JSON at once: 10 provider calls', async () => {
    const before = h.upstream.calls;
    h.upstream.delayMs = 300;
    const asks = Array.from({ length: 10 }, (_, i) => ask(`Mixed coalescing prompt ${i}: name a colour.`));
    const calls = asks.flatMap((q) => [
      ...Array.from({ length: 4 }, () => streamChat(h.gateway.url, q, 'tenant-mix').then((r) => ({ status: r.status, text: fold(r.events)[0]?.content }))),
      ...Array.from({ length: 4 }, () => h.gateway.chat(q, 'tenant-mix').then((r) => ({ status: r.status, text: content(r) }))),
    ]);
    const results = await Promise.all(calls);
    h.upstream.delayMs = 0;
    expect(results.map((r) => r.status)).toEqual(Array(80).fill(200));
    asks.forEach((q, i) => {
      const texts = new Set(results.slice(i * 8, i * 8 + 8).map((r) => r.text));
      expect([...texts]).toEqual([`Answer to: ${q.messages[0]!.content}`]);
    });
    expect(h.upstream.calls - before).toBe(10);
  });
});

describe('answered before the workflow task is durable', () => {
  test('Temporal and the gateway crash after the client has its answer: the replayed task reuses it, the provider is paid once, the entry is stored', async () => {
    const q = ask('A question whose workflow task Temporal never records: what is a quorum?');
    const before = h.upstream.calls;
    const release = h.upstream.hold();
    const pending = h.gateway.chat(q, 'tenant-crash');
    await eventually(() => h.upstream.calls === before + 1, { what: 'the provider called once' });
    // The provider is answering; Temporal now takes nothing more, so the task that ran the call is never completed.
    h.stack.freezeTemporal();
    release();
    const miss = await pending; // from the worker in this process (the answer board), not from Temporal
    expect(miss.status).toBe(200);
    expect(status(miss)).toBe('MISS');
    expect(content(miss)).toBe(`Answer to: ${q.messages[0]!.content}`);
    // Both crash: the worker's completion of that task (sent, or waiting to be retried) is lost with them.
    await h.gateway.stop('SIGKILL');
    await h.stack.killTemporal();
    await h.stack.startTemporal();
    await h.gateway.start();
    // The lost task times out and is replayed: the local activity runs again, finds its run's answer, and the fill stores it.
    await expect(h.gateway.awaitFill(miss)).resolves.toMatchObject({ outcome: 'cached' });
    expect(h.upstream.calls - before).toBe(1);
    const again = await h.gateway.chat(q, 'tenant-crash');
    expect(status(again)).toBe('HIT_L1_EXACT');
    expect(again.body).toEqual(miss.body);
  });
});
