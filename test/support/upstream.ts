/**
 * A small OpenAI-compatible provider for tests: a separate HTTP listener the
 * gateway reaches over the network, never an in-process stub. It answers
 * chat completions deterministically ("Answer to: <question>"), counts calls,
 * records what it received, and can be told to fail the next N calls.
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
    send(res, 200, completion(body, this.calls));
  }
}

function completion(body: Record<string, unknown>, n: number) {
  const messages = (body.messages as { role: string; content: unknown }[]) ?? [];
  const question = [...messages].reverse().find((m) => m.role === 'user')?.content;
  const content = `Answer to: ${typeof question === 'string' ? question : JSON.stringify(question)}`;
  return {
    id: `chatcmpl-upstream-${n}`,
    object: 'chat.completion',
    created: 1_700_000_000 + n,
    model: body.model,
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 },
    system_fingerprint: 'fp_test',
  };
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
