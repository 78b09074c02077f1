/**
 * Writing an answer: JSON (in the requested encoding) or an SSE replay, with
 * the cache's response headers — X-Reflex-Status always, X-Reflex-Similarity
 * on semantic hits, Age (seconds since the entry was stored) on every hit.
 */
import type { Context } from 'koa';
import type { ResponseFormat } from '../cache/controls';
import { formatCompletion } from './format/responseFormat';
import type { LookupResult } from '../cache/lookup';
import { replayToSink } from './streaming/replay';
import { SseSink } from './sse';
import type { ChatCompletion } from '../wire/chat';
import { CHAT_STREAM, StreamProtocol } from './streaming/protocol';

type Hit = Exclude<LookupResult, { status: 'MISS' }>;

export interface Delivery {
  stream: boolean;
  includeUsage: boolean;
  format: ResponseFormat;
  /** How a stream is spoken: chat completions unless told otherwise. */
  protocol?: StreamProtocol<unknown>;
}

export function hitHeaders(hit: Hit): Record<string, string> {
  const headers: Record<string, string> = {
    'X-Reflex-Status': hit.status,
    Age: String(Math.max(0, Math.floor((Date.now() - hit.entry.createdAt) / 1000))),
  };
  if (hit.status === 'HIT_L3_VERIFIED') headers['X-Reflex-Similarity'] = hit.similarity.toFixed(4);
  return headers;
}

export async function respond(ctx: Context, completion: ChatCompletion, headers: Record<string, string>, delivery: Delivery): Promise<void> {
  // Streams always carry the provider's own chunks; Tauq applies to JSON bodies only.
  const format: ResponseFormat = delivery.stream ? 'openai' : delivery.format;
  const all = { ...headers, 'X-Reflex-Format': format };
  // The metrics middleware reads this to count tokens saved (neither a stream nor a byte body can be read back).
  ctx.state.usage = completion.usage;
  ctx.state.model = completion.model; // and this to price them (the admin dashboard)
  const protocol = delivery.protocol ?? (CHAT_STREAM as StreamProtocol<unknown>);
  if (delivery.stream) return replayToSink(new SseSink(ctx, protocol), completion, delivery.includeUsage, all, protocol);
  ctx.set(all);
  if (format !== 'openai') {
    ctx.body = formatCompletion(completion, format);
    return;
  }
  ctx.type = 'json'; // before the body: a string body would otherwise be typed text/plain
  ctx.body = completionJson(completion).text;
}

/**
 * The openai-format body of a completion, serialised once per completion
 * object: a cached entry is never modified, and L1 hands out the same object
 * for every hit on it, so repeat hits reuse this text (what Koa's
 * JSON.stringify of the object would produce) and its length in bytes until
 * the entry leaves memory.
 */
const serialized = new WeakMap<ChatCompletion, { text: string; bytes: number }>();

export function completionJson(completion: ChatCompletion): { text: string; bytes: number } {
  let json = serialized.get(completion);
  if (!json) {
    const text = JSON.stringify(completion);
    json = { text, bytes: Buffer.byteLength(text) };
    serialized.set(completion, json);
  }
  return json;
}
