/** A complete answer (a hit, or a coalesced follower's) sent as a stream of its protocol. */
import type { ChatCompletion, CompletionChunk } from '../../wire/chat';
import { CHAT_STREAM, StreamProtocol } from './protocol';
import type { StreamSink } from './sink';

export async function replayToSink<E = CompletionChunk>(
  sink: StreamSink<E>,
  completion: ChatCompletion,
  includeUsage: boolean,
  headers: Record<string, string>,
  protocol: StreamProtocol<E> = CHAT_STREAM as unknown as StreamProtocol<E>,
): Promise<void> {
  sink.open(headers);
  for (const event of protocol.replay(completion, includeUsage)) {
    if (sink.gone) return;
    await sink.send(event);
  }
  sink.end();
}
