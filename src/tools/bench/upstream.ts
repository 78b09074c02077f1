/**
 * The benchmarks' provider: a tiny OpenAI-compatible chat-completions server on
 * loopback that answers every call after a fixed delay (a fast LLM), in the
 * benchmark's own process. It counts the calls it answered.
 */
import http from 'node:http';
import type net from 'node:net';

export interface BenchUpstream {
  /** Base URL, ending in /v1. */
  url: string;
  calls(): number;
  close(): Promise<void>;
}

export async function startUpstream(delayMs: number, port = 0): Promise<BenchUpstream> {
  let n = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { model?: string; messages?: { content: string }[] };
      const question = body.messages?.at(-1)?.content ?? '';
      const answer = {
        id: `chatcmpl-bench-${++n}`, object: 'chat.completion', created: 1_700_000_000, model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content: `Answer to: ${question}` }, finish_reason: 'stop', logprobs: null }],
        usage: { prompt_tokens: 9, completion_tokens: 9, total_tokens: 18 },
      };
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer));
      }, delayMs);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/v1`,
    calls: () => n,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
