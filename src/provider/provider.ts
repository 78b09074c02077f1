/**
 * The LLM provider behind the cache: any OpenAI-compatible base URL, reached
 * with the official `openai` client. Retries are Temporal's job, so the
 * client itself never retries; each failure is classified once here.
 */
import OpenAI from 'openai';
import { ProviderFailure, UpstreamError, failureOf } from './failure';
import type { ChatCompletion, CompletionChunk } from './wire';

export interface Provider {
  complete(request: Record<string, unknown>, apiKey: string | undefined): Promise<ChatCompletion>;
  /**
   * Opens a streaming completion. Resolves once the provider accepted the
   * request (its HTTP status is known), so refusals are UpstreamErrors before
   * any byte reaches the client; failures mid-stream are UpstreamErrors too.
   */
  stream(request: Record<string, unknown>, apiKey: string | undefined, signal: AbortSignal): Promise<AsyncIterable<CompletionChunk>>;
}

export interface OpenAIProviderOptions {
  baseURL: string;
  timeoutMs: number;
}

export class OpenAIProvider implements Provider {
  constructor(private readonly options: OpenAIProviderOptions) {}

  async complete(request: Record<string, unknown>, apiKey: string | undefined): Promise<ChatCompletion> {
    try {
      // The caller's body goes out as sent; `stream` is only touched when it asked for one.
      const body = (request.stream ? { ...request, stream: false } : request) as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming;
      return (await this.client(apiKey).chat.completions.create(body)) as unknown as ChatCompletion;
    } catch (err) {
      throw new UpstreamError(classify(err));
    }
  }

  async stream(request: Record<string, unknown>, apiKey: string | undefined, signal: AbortSignal): Promise<AsyncIterable<CompletionChunk>> {
    const body = { ...request, stream: true } as unknown as OpenAI.ChatCompletionCreateParamsStreaming;
    try {
      const chunks = await this.client(apiKey).chat.completions.create(body, { signal });
      return classified(chunks as unknown as AsyncIterable<CompletionChunk>);
    } catch (err) {
      throw new UpstreamError(classify(err));
    }
  }

  private client(apiKey: string | undefined): OpenAI {
    return new OpenAI({ baseURL: this.options.baseURL, apiKey: apiKey ?? 'reflex-no-key', timeout: this.options.timeoutMs, maxRetries: 0 });
  }
}

/** Mid-stream failures (an error event, a dropped connection) classified like any other. */
async function* classified(chunks: AsyncIterable<CompletionChunk>): AsyncIterable<CompletionChunk> {
  try {
    yield* chunks;
  } catch (err) {
    throw new UpstreamError(classify(err));
  }
}

export function classify(err: unknown): ProviderFailure {
  if (err instanceof OpenAI.APIError && typeof err.status === 'number') {
    return failureOf(err.status, err.error, err.message, err.headers?.get?.('retry-after') ?? undefined);
  }
  return failureOf(0, undefined, `upstream unreachable: ${err instanceof Error ? err.message : String(err)}`);
}
