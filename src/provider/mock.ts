/**
 * REFLEX_MOCK_PROVIDER=1: a deterministic provider with no upstream, so the
 * whole stack runs on a machine with no API key. Its answer names the
 * question, which makes a wrong cache hit visible.
 */
import { createHash } from 'node:crypto';
import { completionToChunks } from './toChunks';
import type { Provider } from './provider';
import type { ChatCompletion } from './wire';
import { contentText } from './wire';
import type { CompletionChunk } from './wire';

export class MockProvider implements Provider {
  async complete(request: Record<string, unknown>): Promise<ChatCompletion> {
    const messages = Array.isArray(request.messages) ? (request.messages as { role?: string; content?: unknown }[]) : [];
    const question = contentText([...messages].reverse().find((m) => m.role === 'user')?.content);
    const content = `Mock answer to: ${question}`;
    const id = createHash('sha256').update(JSON.stringify(request)).digest('hex').slice(0, 24);
    const words = (s: string) => s.split(/\s+/).filter(Boolean).length;
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
    const chunks = completionToChunks(await this.complete(request), { includeUsage });
    return (async function* () {
      yield* chunks;
    })();
  }
}
