/** Where a stream goes: the HTTP layer implements it as Server-Sent Events. */
import type { OpenAIErrorBody } from '../../errors';
import type { CompletionChunk } from '../../wire/chat';

export interface StreamSink<E = CompletionChunk> {
  /** Commits the response (status 200, stream headers): errors after this travel in-band. */
  open(headers: Record<string, string>): void;
  send(event: E): Promise<void>;
  /** The protocol's end (chat: `[DONE]`), then close. */
  end(): void;
  /** An in-band error event (OpenAI's shape), then close without `[DONE]`. */
  fail(error: OpenAIErrorBody): void;
  /** The client went away before the end. */
  readonly gone: boolean;
  onGone(listener: () => void): void;
}
