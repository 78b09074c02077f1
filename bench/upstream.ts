/**
 * The benchmarks' provider: a tiny OpenAI-compatible chat-completions server on
 * loopback that answers every call after a fixed delay (a fast LLM), in the
 * benchmark's own process — as JSON, or as an SSE stream when asked. It counts
 * the calls it answered, in all and per question (the last user turn).
 */
import http from 'node:http';
import type net from 'node:net';

export interface BenchUpstream {
  /** Base URL, ending in /v1. */
  url: string;
  calls(): number;
  /** Calls per question asked. */
  callsByQuestion(): ReadonlyMap<string, number>;
  close(): Promise<void>;
}

interface ChatBody {
  model?: string;
  stream?: boolean;
  messages?: { content: string }[];
}

export async function startUpstream(delayMs: number, port = 0): Promise<BenchUpstream> {
  let n = 0;
  const byQuestion = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as ChatBody;
      const question = body.messages?.at(-1)?.content ?? '';
      byQuestion.set(question, (byQuestion.get(question) ?? 0) + 1);
      const id = `chatcmpl-bench-${++n}`;
      setTimeout(() => (body.stream ? stream(res, id, body, question) : json(res, id, body, question)), delayMs);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/v1`,
    calls: () => n,
    callsByQuestion: () => byQuestion,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const USAGE = { prompt_tokens: 9, completion_tokens: 9, total_tokens: 18 };

function json(res: http.ServerResponse, id: string, body: ChatBody, question: string): void {
  const answer = {
    id, object: 'chat.completion', created: 1_700_000_000, model: body.model,
    choices: [{ index: 0, message: { role: 'assistant', content: `Answer to: ${question}` }, finish_reason: 'stop', logprobs: null }],
    usage: USAGE,
  };
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(answer));
}

/** Three chunks (role, content, finish) and [DONE], as OpenAI streams a short answer. */
function stream(res: http.ServerResponse, id: string, body: ChatBody, question: string): void {
  const chunk = (delta: object, finish: string | null) => ({ id, object: 'chat.completion.chunk', created: 1_700_000_000, model: body.model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] });
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const c of [chunk({ role: 'assistant', content: '' }, null), chunk({ content: `Answer to: ${question}` }, null), chunk({}, 'stop')]) res.write(`data: ${JSON.stringify(c)}\n\n`);
  res.end('data: [DONE]\n\n');
}
