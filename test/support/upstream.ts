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
 */
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
  private failures: ScriptedFailure[] = [];
  private server?: http.Server;

  get url(): string {
    const { port } = this.server!.address() as AddressInfo;
    return `http://127.0.0.1:${port}/v1`;
  }

  /** The next calls fail with these responses, in order. */
  failNext(...failures: ScriptedFailure[]): void {
    this.failures.push(...failures);
  }

  reset(): void {
    this.calls = 0;
    this.received = [];
    this.failures = [];
    this.delayMs = 0;
    this.streamDelayMs = 0;
    this.breakNextStreams = 0;
    this.abortedStreams = 0;
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
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return send(res, 404, { error: { message: 'not found', type: 'invalid_request_error', param: null, code: null } });
    this.calls++;
    this.received.push({ path: req.url, headers: req.headers, body });
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    const failure = this.failures.shift();
    if (failure) return send(res, failure.status, failure.body ?? { error: { message: `scripted ${failure.status}`, type: 'server_error', param: null, code: null } }, failure.headers);
    if (body.stream === true) return this.stream(res, body, completion(body, this.calls));
    send(res, 200, completion(body, this.calls));
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

function completion(body: Record<string, unknown>, n: number) {
  const count = typeof body.n === 'number' ? body.n : 1;
  return {
    id: `chatcmpl-upstream-${n}`,
    object: 'chat.completion',
    created: 1_700_000_000 + n,
    model: body.model,
    choices: Array.from({ length: count }, (_, i) => choiceFor(body, i)),
    usage: { prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 },
    system_fingerprint: 'fp_test',
  };
}

function choiceFor(body: Record<string, unknown>, index: number) {
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
  let content = `Answer to: ${question}${suffix}`;
  if (last?.role === 'tool') content = `Tool said: ${String(last.content)}${suffix}`;
  else if (format === 'json_object' || format === 'json_schema') content = JSON.stringify({ answer: question, choice: index, items: [{ id: 1, name: 'alpha' }, { id: 2, name: 'beta' }] });
  return { index, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: finish };
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
