/**
 * The LLM provider behind the cache: any OpenAI-compatible base URL, reached
 * with the official `openai` client. Retries are Temporal's job, so the
 * client itself never retries; each failure is classified once here.
 */
import { LRUCache } from 'lru-cache';
import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import { ProviderFailure, UpstreamError, failureOf } from './failure';
import type { EmbeddingsRequest, EmbeddingsResponse } from '../wire/embeddings';
import type { ResponseEvent, ResponseObject } from '../wire/responses';
import type { ChatCompletion, CompletionChunk } from '../wire/chat';

/** The provider endpoints whose answers are cached as entries. */
export type ProviderEndpoint = 'chat' | 'responses';

export interface Provider {
  complete(request: Record<string, unknown>, apiKey: string | undefined): Promise<ChatCompletion>;
  /**
   * Opens a streaming completion. Resolves once the provider accepted the
   * request (its HTTP status is known), so refusals are UpstreamErrors before
   * any byte reaches the client; failures mid-stream are UpstreamErrors too.
   */
  stream(request: Record<string, unknown>, apiKey: string | undefined, signal: AbortSignal): Promise<AsyncIterable<CompletionChunk>>;
  /** POST /responses, non-streaming: the `response` object verbatim. */
  respond(request: Record<string, unknown>, apiKey: string | undefined): Promise<ResponseObject>;
  /** POST /responses with stream: true; the same contract as `stream`. */
  streamResponse(request: Record<string, unknown>, apiKey: string | undefined, signal: AbortSignal): Promise<AsyncIterable<ResponseEvent>>;
  /** POST /embeddings, the answer verbatim (in the encoding the request asked for). */
  embed(request: EmbeddingsRequest, apiKey: string | undefined): Promise<EmbeddingsResponse>;
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

  // The Responses and embeddings calls go through the client's plain `post`: the
  // typed helpers rewrite answers (an added output_text, base64 decoded to
  // floats), and the cache must store exactly what the provider said.
  async respond(request: Record<string, unknown>, apiKey: string | undefined): Promise<ResponseObject> {
    const body = request.stream ? { ...request, stream: false } : request;
    try {
      return await this.client(apiKey).post<ResponseObject>('/responses', { body });
    } catch (err) {
      throw new UpstreamError(classify(err));
    }
  }

  async streamResponse(request: Record<string, unknown>, apiKey: string | undefined, signal: AbortSignal): Promise<AsyncIterable<ResponseEvent>> {
    try {
      const events = await this.client(apiKey).post<AsyncIterable<ResponseEvent>>('/responses', { body: { ...request, stream: true }, stream: true, signal });
      return classified(events);
    } catch (err) {
      throw new UpstreamError(classify(err));
    }
  }

  async embed(request: EmbeddingsRequest, apiKey: string | undefined): Promise<EmbeddingsResponse> {
    try {
      return await this.client(apiKey).post<EmbeddingsResponse>('/embeddings', { body: request });
    } catch (err) {
      throw new UpstreamError(classify(err));
    }
  }

  /**
   * One client per upstream key, kept while in use: building one costs a
   * quarter of a millisecond of the miss path (BENCHMARKS.md). Keyed by the
   * key's hash, so the raw key is only inside its client.
   */
  private readonly clients = new LRUCache<string, OpenAI>({ max: 256 });

  private client(apiKey: string | undefined): OpenAI {
    const id = createHash('sha256').update(apiKey ?? '').digest('base64');
    let client = this.clients.get(id);
    if (!client) {
      client = new OpenAI({ baseURL: this.options.baseURL, apiKey: apiKey ?? 'reflex-no-key', timeout: this.options.timeoutMs, maxRetries: 0 });
      this.clients.set(id, client);
    }
    return client;
  }
}

/** Mid-stream failures (an error event, a dropped connection) classified like any other. */
async function* classified<T>(chunks: AsyncIterable<T>): AsyncIterable<T> {
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
