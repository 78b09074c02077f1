/**
 * The LLM provider behind the cache: any OpenAI-compatible base URL, reached
 * with the official `openai` client. Retries are Temporal's job, so the
 * client itself never retries; each failure is classified once here.
 */
import OpenAI from 'openai';
import type { OpenAIErrorBody } from '../errors';
import type { ChatCompletion } from '../cache/storage/entry';
import type { CompletionChunk } from './chunks';

export interface ProviderFailure {
  /** The provider's HTTP status; 0 when no response arrived (connection error, timeout). */
  status: number;
  body: OpenAIErrorBody;
  /** Worth retrying: 408, 409, 429, 5xx and transport failures. */
  retryable: boolean;
  retryAfter?: string;
}

export class UpstreamError extends Error {
  override name = 'UpstreamError';
  constructor(readonly failure: ProviderFailure) {
    super(failure.body.error.message);
  }
}

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
    const status = err.status;
    const retryable = status === 408 || status === 409 || status === 429 || status >= 500;
    const retryAfter = err.headers?.get?.('retry-after') ?? undefined;
    return { status, retryable, retryAfter, body: errorBody(err.error, err.message, status) };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { status: 0, retryable: true, body: errorBody(undefined, `upstream unreachable: ${message}`, 0) };
}

function errorBody(error: unknown, fallback: string, status: number): OpenAIErrorBody {
  const e = (error && typeof error === 'object' ? error : {}) as Record<string, unknown>;
  return {
    error: {
      message: typeof e.message === 'string' ? e.message : fallback,
      type: typeof e.type === 'string' ? e.type : status >= 500 || status === 0 ? 'api_error' : 'invalid_request_error',
      param: typeof e.param === 'string' ? e.param : null,
      code: typeof e.code === 'string' ? e.code : null,
    },
  };
}
