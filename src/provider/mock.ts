/**
 * REFLEX_MOCK_PROVIDER=1: a deterministic provider with no upstream, so the
 * whole stack runs on a machine with no API key. Its answer names the
 * question, which makes a wrong cache hit visible.
 */
import { createHash } from 'node:crypto';
import { EmbeddingsRequest, EmbeddingsResponse, inputItems, vectorToBase64 } from '../wire/embeddings';
import { responseToEvents } from './responseToEvents';
import type { ResponseEvent, ResponseObject } from '../wire/responses';
import { completionToChunks } from './toChunks';
import type { Provider } from './provider';
import type { ChatCompletion } from '../wire/chat';
import { contentText } from '../wire/chat';
import type { CompletionChunk } from '../wire/chat';

const digest = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest();
const words = (s: string) => s.split(/\s+/).filter(Boolean).length;
const MOCK_DIMENSIONS = 64;

export class MockProvider implements Provider {
  async complete(request: Record<string, unknown>): Promise<ChatCompletion> {
    const messages = Array.isArray(request.messages) ? (request.messages as { role?: string; content?: unknown }[]) : [];
    const question = contentText([...messages].reverse().find((m) => m.role === 'user')?.content);
    const content = `Mock answer to: ${question}`;
    const id = digest(request).toString('hex').slice(0, 24);
    return {
      id: `chatcmpl-mock-${id}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: String(request.model),
      choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: words(question), completion_tokens: words(content), total_tokens: words(question) + words(content) },
    };
  }

  async stream(request: Record<string, unknown>): Promise<AsyncIterable<CompletionChunk>> {
    const includeUsage = (request.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
    return iterate(completionToChunks(await this.complete(request), { includeUsage }));
  }

  async respond(request: Record<string, unknown>): Promise<ResponseObject> {
    const input = request.input;
    const question = typeof input === 'string' ? input : contentText(Array.isArray(input) ? (input.at(-1) as { content?: unknown } | undefined)?.content : '');
    const text = `Mock answer to: ${question}`;
    const id = digest(request).toString('hex').slice(0, 24);
    return {
      id: `resp_mock${id}`,
      object: 'response',
      created_at: Math.floor(Date.now() / 1000),
      status: 'completed',
      model: String(request.model),
      output: [{ type: 'message', id: `msg_mock${id}`, status: 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [] }] }],
      usage: { input_tokens: words(question), output_tokens: words(text), total_tokens: words(question) + words(text) },
    };
  }

  async streamResponse(request: Record<string, unknown>): Promise<AsyncIterable<ResponseEvent>> {
    return iterate(responseToEvents(await this.respond(request)));
  }

  /** Unit vectors from a hash of (model, item): equal items embed equally, different ones almost never do. */
  async embed(request: EmbeddingsRequest): Promise<EmbeddingsResponse> {
    const items = inputItems(request.input);
    const data = items.map((item, index) => {
      const bytes = digest([request.model, item]);
      const raw = Float32Array.from({ length: request.dimensions ?? MOCK_DIMENSIONS }, (_, i) => bytes[i % bytes.length]! - 127.5);
      const norm = Math.hypot(...raw);
      const vector = raw.map((v) => v / norm);
      return { object: 'embedding' as const, index, embedding: request.encoding_format === 'base64' ? vectorToBase64(vector) : Array.from(vector) };
    });
    const tokens = items.reduce((sum, item) => sum + (typeof item === 'string' ? words(item) : item.length), 0);
    return { object: 'list', data, model: request.model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
  }
}

async function* iterate<T>(items: T[]): AsyncIterable<T> {
  yield* items;
}
