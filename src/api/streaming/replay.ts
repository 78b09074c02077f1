/** A complete answer (a hit, or a coalesced follower's) sent as an OpenAI stream. */
import { completionToChunks } from '../../provider/toChunks';
import type { ChatCompletion } from '../../provider/wire';
import type { StreamSink } from './sink';

export async function replayToSink(sink: StreamSink, completion: ChatCompletion, includeUsage: boolean, headers: Record<string, string>): Promise<void> {
  sink.open(headers);
  for (const chunk of completionToChunks(completion, { includeUsage })) {
    if (sink.gone) return;
    await sink.send(chunk);
  }
  sink.end();
}
