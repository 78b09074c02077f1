/**
 * A small OpenAI-compatible provider for tests: a separate HTTP listener the
 * gateway reaches over the network, never an in-process stub. It answers
 * chat completions deterministically ("Answer to: <question>"), counts calls,
 * records what it received, and can be told to fail the next N calls.
 *
 * It also speaks the rest of the OpenAI surface the gateway must pass through:
 * SSE streaming (`stream: true`, with `stream_options.include_usage`), tool
 * calls (when `tools` are given and the last turn is the user's), JSON
 * answers for `response_format` json_object/json_schema, `n` choices, and a
 * "[truncate]" marker in the question that ends with finish_reason "length".
 * Streams can be slowed (streamDelayMs) or broken off mid-way (breakNextStreams).
 * Calls can be held (hold) until the test releases them.
 *
 * The Responses API (POST /v1/responses, JSON and its event stream, with
 * GET/DELETE of stored responses) and embeddings (POST /v1/embeddings, float
 * or base64, deterministic vectors; `embeddedItems` records the item count
 * of each call) answer the same way.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedFailure {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ReceivedRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export class FakeUpstream {
  calls = 0;
  received: ReceivedRequest[] = [];
  delayMs = 0;
  /** Pause between stream chunks. */
  streamDelayMs = 0;
  /** The next N streams are cut (socket destroyed) after two chunks. */
  breakNextStreams = 0;
  /** Streams the upstream started and saw cut by the gateway (client side). */
  abortedStreams = 0;
  /** Items per embeddings call, in order. */
  embeddedItems: number[] = [];
  /**
   * Decides a chat answer's text from the question (the audit harness: the
   * question's equivalence class decides it); undefined keeps the default.
   */
  answerOf?: (question: string) => string | undefined;
  /** Responses kept because the request said store (default true). */
  readonly stored = new Map<string, Record<string, unknown>>();
  private failures: ScriptedFailure[] = [];
  private held?: Promise<void>;
  private server?: http.Server;

  get url(): string {
    const { port } = this.server!.address() as AddressInfo;
    return `http://127.0.0.1:${port}/v1`;
  }

  /** The next calls fail with these responses, in order. */
  failNext(...failures: ScriptedFailure[]): void {
    this.failures.push(...failures);
  }

  /** Calls from now on are counted, then wait without an answer until the returned release is called. */
  hold(): () => void {
    let release = () => {};
    this.held = new Promise<void>((resolve) => (release = resolve));
    return () => {
      this.held = undefined;
      release();
    };
  }

  reset(): void {
    this.calls = 0;
    this.received = [];
    this.failures = [];
    this.delayMs = 0;
    this.streamDelayMs = 0;
    this.breakNextStreams = 0;
    this.abortedStreams = 0;
    this.embeddedItems = [];
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readJson(req);
    if (req.method === 'GET' && req.url === '/v1/models') return send(res, 200, { object: 'list', data: [{ id: 'test-model', object: 'model', created: 0, owned_by: 'test' }] });
    // Test control for suites in other processes (the Python SDK suite): script failures, read counters.
    if (req.method === 'POST' && req.url === '/v1/__fail') return this.failNext(...(body.failures as ScriptedFailure[])), send(res, 200, { ok: true });
    if (req.method === 'GET' && req.url === '/v1/__calls') return send(res, 200, { calls: this.calls, embeddedItems: this.embeddedItems, paths: this.received.map((r) => r.path) });
    const stored = /^\/v1\/responses\/([^/?]+)$/.exec(req.url ?? '');
    if (stored && (req.method === 'GET' || req.method === 'DELETE')) return this.storedResponse(req.method, stored[1]!, res);
    if (req.method !== 'POST' || !ROUTES.has(req.url ?? '')) return send(res, 404, notFound);
    this.calls++;
    this.received.push({ path: req.url!, headers: req.headers, body });
    if (this.held) await this.held;
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    const failure = this.failures.shift();
    if (failure) return send(res, failure.status, failure.body ?? { error: { message: `scripted ${failure.status}`, type: 'server_error', param: null, code: null } }, failure.headers);
    if (req.url === '/v1/embeddings') return send(res, 200, this.embed(body));
    if (req.url === '/v1/responses') {
      const answer = responseFor(body, this.calls);
      if (body.store !== false) this.stored.set(answer.id, answer);
      if (body.stream === true) return this.sendEvents(res, responseEvents(answer));
      return send(res, 200, answer);
    }
    if (body.stream === true) return this.stream(res, body, completion(body, this.calls, this.answerOf));
    send(res, 200, completion(body, this.calls, this.answerOf));
  }

  private storedResponse(method: string, id: string, res: http.ServerResponse): void {
    const found = this.stored.get(id);
    if (!found) return send(res, 404, { error: { message: `Response with id '${id}' not found.`, type: 'invalid_request_error', param: null, code: null } });
    if (method === 'GET') return send(res, 200, found);
    this.stored.delete(id);
    send(res, 200, { id, object: 'response.deleted', deleted: true });
  }

  private embed(body: Record<string, unknown>) {
    const input = body.input as unknown;
    const items = typeof input === 'string' ? [input] : Array.isArray(input) && input.every((x) => typeof x === 'number') ? [input] : (input as unknown[]);
    this.embeddedItems.push(items.length);
    const dims = typeof body.dimensions === 'number' ? body.dimensions : 8;
    const data = items.map((item, index) => {
      const bytes = createHash('sha256').update(JSON.stringify([body.model, dims, item])).digest();
      const vector = Float32Array.from({ length: dims }, (_, i) => (bytes[i % 32]! - 128) / 128);
      const embedding = body.encoding_format === 'base64' ? Buffer.from(vector.buffer).toString('base64') : Array.from(vector);
      return { object: 'embedding', index, embedding };
    });
    const tokens = items.reduce((sum: number, item) => sum + (typeof item === 'string' ? item.split(/\s+/).filter(Boolean).length : (item as number[]).length), 0);
    return { object: 'list', data, model: `${String(body.model)}-upstream`, usage: { prompt_tokens: tokens, total_tokens: tokens } };
  }

  /** Responses API events, each framed with its `event:` line. */
  private async sendEvents(res: http.ServerResponse, events: Record<string, unknown>[]): Promise<void> {
    const breakAfter = this.breakNextStreams > 0 ? (this.breakNextStreams--, 3) : Infinity;
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const [i, event] of events.entries()) {
      if (i >= breakAfter) return void setTimeout(() => res.destroy(), 100);
      if (res.destroyed) return;
      res.write(`event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`);
      if (this.streamDelayMs) await new Promise((r) => setTimeout(r, this.streamDelayMs));
    }
    res.end();
  }

  private async stream(res: http.ServerResponse, body: Record<string, unknown>, answer: ReturnType<typeof completion>): Promise<void> {
    const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    const chunks = toChunks(answer, includeUsage);
    const breakAfter = this.breakNextStreams > 0 ? (this.breakNextStreams--, 2) : Infinity;
    let finished = false;
    res.on('close', () => {
      if (!finished) this.abortedStreams++;
    });
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const [i, chunk] of chunks.entries()) {
      // Let the first chunks reach the gateway before the cut, or it is just a refused connection.
      if (i >= breakAfter) return void setTimeout(() => res.destroy(), 100);
      if (res.destroyed) return;
      res.write(`data: ${JSON.stringify(chunk)}\n\n`);
      if (this.streamDelayMs) await new Promise((r) => setTimeout(r, this.streamDelayMs));
    }
    finished = true;
    res.end('data: [DONE]\n\n');
  }
}

/** The completion as OpenAI stream chunks, cut into small pieces (3 characters) unlike the gateway's own replay. */
function toChunks(answer: ReturnType<typeof completion>, includeUsage: boolean): Record<string, unknown>[] {
  const base = { id: answer.id, object: 'chat.completion.chunk', created: answer.created, model: answer.model, system_fingerprint: answer.system_fingerprint, ...(includeUsage ? { usage: null } : {}) };
  const out: Record<string, unknown>[] = [];
  const push = (index: number, delta: unknown, finish: string | null = null) => out.push({ ...base, choices: [{ index, delta, logprobs: null, finish_reason: finish }] });
  const cut = (s: string) => s.match(/[\s\S]{1,3}/g) ?? [];
  for (const choice of answer.choices) {
    const m = choice.message as { content: string | null; tool_calls?: { id: string; type: string; function: { name: string; arguments: string } }[] };
    push(choice.index, { role: 'assistant', content: m.content === null ? null : '', refusal: null });
    for (const piece of cut(m.content ?? '')) push(choice.index, { content: piece });
    (m.tool_calls ?? []).forEach((call, index) => {
      push(choice.index, { tool_calls: [{ index, id: call.id, type: call.type, function: { name: call.function.name, arguments: '' } }] });
      for (const piece of cut(call.function.arguments)) push(choice.index, { tool_calls: [{ index, function: { arguments: piece } }] });
    });
    push(choice.index, {}, choice.finish_reason);
  }
  if (includeUsage) out.push({ ...base, choices: [], usage: answer.usage });
  return out;
}

function completion(body: Record<string, unknown>, n: number, answerOf?: (question: string) => string | undefined) {
  const count = typeof body.n === 'number' ? body.n : 1;
  return {
    id: `chatcmpl-upstream-${n}`,
    object: 'chat.completion',
    created: 1_700_000_000 + n,
    model: body.model,
    choices: Array.from({ length: count }, (_, i) => choiceFor(body, i, answerOf)),
    usage: { prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 },
    system_fingerprint: 'fp_test',
  };
}

function choiceFor(body: Record<string, unknown>, index: number, answerOf?: (question: string) => string | undefined) {
  const messages = (body.messages as { role: string; content: unknown }[]) ?? [];
  const last = messages[messages.length - 1];
  const asked = [...messages].reverse().find((m) => m.role === 'user')?.content;
  const question = typeof asked === 'string' ? asked : JSON.stringify(asked);
  const suffix = index ? ` (choice ${index})` : '';
  const tools = body.tools as { function: { name: string } }[] | undefined;
  const format = (body.response_format as { type?: string } | undefined)?.type;
  const finish = question.includes('[truncate]') ? 'length' : 'stop';
  if (tools?.length && body.tool_choice !== 'none' && last?.role === 'user') {
    const call = { id: `call_${index}_${tools[0]!.function.name}`, type: 'function', function: { name: tools[0]!.function.name, arguments: JSON.stringify({ query: question }) } };
    return { index, message: { role: 'assistant', content: null, refusal: null, tool_calls: [call] }, logprobs: null, finish_reason: 'tool_calls' };
  }
  let content = answerOf?.(question) ?? `Answer to: ${question}${suffix}`;
  if (last?.role === 'tool') content = `Tool said: ${String(last.content)}${suffix}`;
  else if (format === 'json_object' || format === 'json_schema') content = JSON.stringify({ answer: question, choice: index, items: [{ id: 1, name: 'alpha' }, { id: 2, name: 'beta' }] });
  return { index, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: finish };
}

const ROUTES = new Set(['/v1/chat/completions', '/v1/responses', '/v1/embeddings']);
const notFound = { error: { message: 'not found', type: 'invalid_request_error', param: null, code: null } };

type Item = { type?: string; role?: string; content?: unknown; output?: unknown };

/** A Responses API answer: "Answer to: <question>", a function call when tools are offered, "Tool said: …" after a call's output. */
function responseFor(body: Record<string, unknown>, n: number) {
  const items: Item[] = typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : ((body.input as Item[]) ?? []);
  const last = items[items.length - 1];
  const asked = [...items].reverse().find((i) => i.role === 'user')?.content;
  const question = typeof asked === 'string' ? asked : (asked as { text?: string }[] | undefined)?.map((p) => p.text ?? '').join('') ?? '';
  const tools = body.tools as { name?: string }[] | undefined;
  const base = { id: `resp_upstream_${n}`, object: 'response', created_at: 1_700_000_000 + n, model: body.model, previous_response_id: body.previous_response_id ?? null, store: body.store !== false };
  const usage = { input_tokens: 7, input_tokens_details: { cached_tokens: 0 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 12 };
  if (tools?.length && last?.role === 'user') {
    const call = { type: 'function_call', id: `fc_${n}`, call_id: `call_${n}`, name: tools[0]!.name, arguments: JSON.stringify({ query: question }), status: 'completed' };
    return { ...base, status: 'completed', error: null, incomplete_details: null, output: [call], usage };
  }
  const text = last?.type === 'function_call_output' ? `Tool said: ${String(last.output)}` : `Answer to: ${question}${body.previous_response_id ? ` (after ${String(body.previous_response_id)})` : ''}`;
  const truncated = question.includes('[truncate]');
  const message = { type: 'message', id: `msg_${n}`, status: truncated ? 'incomplete' : 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [], logprobs: [] }] };
  return { ...base, status: truncated ? 'incomplete' : 'completed', error: null, incomplete_details: truncated ? { reason: 'max_output_tokens' } : null, output: [message], usage };
}

/** The answer as a Responses event stream, text cut into 3-character deltas (unlike the gateway's own replay). */
function responseEvents(answer: ReturnType<typeof responseFor>): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  const open = { ...answer, status: 'in_progress', output: [], usage: null };
  events.push({ type: 'response.created', response: open }, { type: 'response.in_progress', response: open });
  const cut = (s: string) => s.match(/[\s\S]{1,3}/g) ?? [];
  answer.output.forEach((item: Record<string, any>, output_index: number) => {
    if (item.type === 'function_call') {
      events.push({ type: 'response.output_item.added', output_index, item: { ...item, arguments: '', status: 'in_progress' } });
      for (const delta of cut(item.arguments)) events.push({ type: 'response.function_call_arguments.delta', item_id: item.id, output_index, delta });
      events.push({ type: 'response.function_call_arguments.done', item_id: item.id, output_index, arguments: item.arguments });
    } else {
      const part = item.content[0];
      const at = { item_id: item.id, output_index, content_index: 0 };
      events.push({ type: 'response.output_item.added', output_index, item: { ...item, status: 'in_progress', content: [] } });
      events.push({ type: 'response.content_part.added', ...at, part: { ...part, text: '' } });
      for (const delta of cut(part.text)) events.push({ type: 'response.output_text.delta', ...at, delta, logprobs: [] });
      events.push({ type: 'response.output_text.done', ...at, text: part.text, logprobs: [] }, { type: 'response.content_part.done', ...at, part });
    }
    events.push({ type: 'response.output_item.done', output_index, item });
  });
  events.push({ type: answer.status === 'completed' ? 'response.completed' : 'response.incomplete', response: answer });
  return events.map((e, sequence_number) => ({ ...e, sequence_number }));
}

function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        resolve(chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {});
      } catch {
        resolve({});
      }
    });
  });
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
