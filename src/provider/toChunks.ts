/**
 * A stored chat.completion replayed as OpenAI stream chunks: per choice a
 * role chunk, content pieces, tool-call deltas (header, then argument
 * pieces), a final chunk with the real finish_reason; then a usage chunk when
 * the caller asked for one. Every chunk carries the completion's own id, so
 * concatenating the deltas gives back exactly the stored message.
 */
import type { ChatCompletion } from '../wire/chat';
import type { ChunkChoice, ChunkDelta, CompletionChunk, StoredChoice, StoredMessage } from '../wire/chat';

export interface ReplayOptions {
  /** stream_options.include_usage: every chunk has usage:null, plus a final usage chunk. */
  includeUsage: boolean;
}

export function completionToChunks(completion: ChatCompletion, options: ReplayOptions): CompletionChunk[] {
  const base = chunkBase(completion, options.includeUsage);
  const chunk = (choice: ChunkChoice): CompletionChunk => ({ ...base, choices: [choice] });
  const chunks: CompletionChunk[] = [];
  const choices = (Array.isArray(completion.choices) ? completion.choices : []) as StoredChoice[];
  choices.forEach((choice, position) => {
    const index = choice.index ?? position;
    for (const delta of messageDeltas(choice.message ?? {})) chunks.push(chunk({ index, delta, logprobs: null, finish_reason: null }));
    chunks.push(chunk({ index, delta: {}, logprobs: null, finish_reason: choice.finish_reason ?? 'stop' }));
  });
  if (options.includeUsage) chunks.push({ ...base, choices: [], usage: completion.usage ?? null });
  return chunks;
}

function chunkBase(completion: ChatCompletion, includeUsage: boolean): CompletionChunk {
  const base: CompletionChunk = {
    id: String(completion.id ?? 'chatcmpl-reflex'),
    object: 'chat.completion.chunk',
    created: Number(completion.created ?? Math.floor(Date.now() / 1000)),
    model: String(completion.model ?? ''),
    choices: [],
  };
  for (const field of ['service_tier', 'system_fingerprint'] as const) if (completion[field] !== undefined) base[field] = completion[field];
  if (includeUsage) base.usage = null;
  return base;
}

function messageDeltas(message: StoredMessage): ChunkDelta[] {
  // OpenAI opens with content '' for prose and null for a tool-call-only answer; keep which.
  const deltas: ChunkDelta[] = [{ role: message.role ?? 'assistant', content: message.content === null ? null : '', refusal: null }];
  for (const piece of pieces(message.content ?? '')) deltas.push({ content: piece });
  for (const piece of pieces(message.refusal ?? '')) deltas.push({ refusal: piece });
  (message.tool_calls ?? []).forEach((call, index) => {
    deltas.push({ tool_calls: [{ index, id: call.id, type: call.type, function: { name: call.function.name, arguments: '' } }] });
    for (const arg of pieces(call.function.arguments)) deltas.push({ tool_calls: [{ index, function: { arguments: arg } }] });
  });
  return deltas;
}

/** Word-sized pieces (whitespace kept) so replays look like a real stream and join back exactly. */
export function pieces(text: string): string[] {
  return text.match(/\s*\S+\s*|\s+/g) ?? [];
}
