/**
 * The two streaming wire protocols the gateway relays and replays, side by
 * side: chat completions (`data: <chunk>` … `data: [DONE]`) and the Responses
 * API (`event: <type>` + `data: <event>`, ended by its terminal event, no
 * [DONE]). Each knows how to open a provider stream, fold one back into the
 * stored answer, replay a stored answer, and frame an event for SSE.
 */
import { ChunkAssembler } from '../../provider/assemble';
import { ResponseAssembler } from '../../provider/assembleResponse';
import type { Provider } from '../../provider/provider';
import { responseToEvents } from '../../provider/responseToEvents';
import type { ResponseEvent } from '../../wire/responses';
import { completionToChunks } from '../../provider/toChunks';
import type { ChatCompletion, CompletionChunk } from '../../wire/chat';

export interface Assembler<E> {
  add(event: E): void;
  readonly complete: boolean;
  answer(): ChatCompletion;
}

export interface StreamProtocol<E> {
  open(provider: Provider, request: Record<string, unknown>, apiKey: string | undefined, signal: AbortSignal): Promise<AsyncIterable<E>>;
  assembler(): Assembler<E>;
  replay(answer: ChatCompletion, includeUsage: boolean): E[];
  /** One event as SSE text. */
  frame(event: E): string;
  /** What closes a finished stream. */
  done: string;
}

export const CHAT_STREAM: StreamProtocol<CompletionChunk> = {
  open: (provider, request, apiKey, signal) => provider.stream(request, apiKey, signal),
  assembler() {
    const chunks = new ChunkAssembler();
    return { add: (c) => chunks.add(c), get complete() { return chunks.complete; }, answer: () => chunks.completion() };
  },
  replay: (answer, includeUsage) => completionToChunks(answer, { includeUsage }),
  frame: (chunk) => `data: ${JSON.stringify(chunk)}\n\n`,
  done: 'data: [DONE]\n\n',
};

export const RESPONSES_STREAM: StreamProtocol<ResponseEvent> = {
  open: (provider, request, apiKey, signal) => provider.streamResponse(request, apiKey, signal),
  assembler() {
    const events = new ResponseAssembler();
    return { add: (e) => events.add(e), get complete() { return events.complete; }, answer: () => events.response() };
  },
  // Usage is part of response.completed; there is no separate usage event to ask for.
  replay: (answer) => responseToEvents(answer),
  frame: (event) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`,
  done: '',
};
