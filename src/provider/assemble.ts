/**
 * Stream chunks folded back into one chat.completion, the shape stored in
 * the cache. Content, refusal and tool-call arguments are concatenated per
 * choice; `complete` is true only once every choice has its finish_reason
 * (the provider's terminal event) — a stream cut before that is not an answer.
 */
import type { ChatCompletion } from '../wire/chat';
import type { ChunkChoice, CompletionChunk, StoredMessage } from '../wire/chat';

interface ChoiceState {
  message: StoredMessage & { content: string | null };
  finish_reason: string | null;
  logprobs: { content: unknown[] } | null;
  tools: { id: string; type: string; function: { name: string; arguments: string } }[];
}

export class ChunkAssembler {
  private head?: CompletionChunk;
  private usage: unknown;
  private readonly choices = new Map<number, ChoiceState>();

  add(chunk: CompletionChunk): void {
    this.head ??= chunk;
    if (chunk.usage) this.usage = chunk.usage;
    for (const choice of chunk.choices ?? []) this.addChoice(choice);
  }

  get complete(): boolean {
    return this.choices.size > 0 && [...this.choices.values()].every((c) => c.finish_reason !== null);
  }

  completion(): ChatCompletion {
    const head = this.head;
    const out: ChatCompletion = { id: head?.id, object: 'chat.completion', created: head?.created, model: head?.model };
    for (const field of ['service_tier', 'system_fingerprint'] as const) if (head?.[field] !== undefined) out[field] = head[field];
    out.choices = [...this.choices.entries()].sort(([a], [b]) => a - b).map(([index, c]) => toChoice(index, c));
    if (this.usage !== undefined) out.usage = this.usage;
    return out;
  }

  private addChoice(choice: ChunkChoice): void {
    const state = this.stateOf(choice.index);
    const { delta } = choice;
    if (delta.role) state.message.role = delta.role;
    if (typeof delta.content === 'string') state.message.content = (state.message.content ?? '') + delta.content;
    if (typeof delta.refusal === 'string') state.message.refusal = (state.message.refusal ?? '') + delta.refusal;
    for (const call of delta.tool_calls ?? []) {
      const tool = (state.tools[call.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } });
      if (call.id) tool.id = call.id;
      if (call.type) tool.type = call.type;
      if (call.function?.name) tool.function.name += call.function.name;
      if (call.function?.arguments) tool.function.arguments += call.function.arguments;
    }
    const logprobs = (choice.logprobs as { content?: unknown[] } | null | undefined)?.content;
    if (Array.isArray(logprobs)) (state.logprobs ??= { content: [] }).content.push(...logprobs);
    if (choice.finish_reason) state.finish_reason = choice.finish_reason;
  }

  private stateOf(index: number): ChoiceState {
    let state = this.choices.get(index);
    if (!state) {
      state = { message: { role: 'assistant', content: null, refusal: null }, finish_reason: null, logprobs: null, tools: [] };
      this.choices.set(index, state);
    }
    return state;
  }
}

function toChoice(index: number, c: ChoiceState) {
  const message: StoredMessage = { ...c.message };
  if (c.tools.length) message.tool_calls = c.tools;
  return { index, message, logprobs: c.logprobs, finish_reason: c.finish_reason };
}
