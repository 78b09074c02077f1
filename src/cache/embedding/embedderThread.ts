/**
 * The body of the embedding thread (see threadedEmbedder.ts): loads the model
 * once, then answers each { id, text } with the vector, its buffer
 * transferred rather than copied, or a { count } ask with the text's tokens.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { OnnxEmbedder } from './onnxEmbedder';

export interface ThreadConfig {
  modelPath: string;
  modelName: string;
  threads: number;
}

/** An embedding, or (`count`) only the text's token count. */
export type Ask = { id: number; text: string; count?: boolean };
export type Reply = { id: number; vector: Float32Array } | { id: number; tokens: number } | { id: number; error: string };
export type Ready = { ready: true } | { ready: false; error: string };

async function serve(port: NonNullable<typeof parentPort>, config: ThreadConfig): Promise<void> {
  let embedder: OnnxEmbedder;
  try {
    embedder = await OnnxEmbedder.load(config.modelPath, config.modelName, { threads: config.threads });
  } catch (err) {
    port.postMessage({ ready: false, error: err instanceof Error ? err.message : String(err) } satisfies Ready);
    return;
  }
  port.on('message', (ask: Ask) => {
    answer(embedder, ask).then(
      (reply) => port.postMessage(reply, 'vector' in reply ? [reply.vector.buffer as ArrayBuffer] : []),
      (err: unknown) => port.postMessage({ id: ask.id, error: err instanceof Error ? err.message : String(err) } satisfies Reply),
    );
  });
  port.postMessage({ ready: true } satisfies Ready);
}

async function answer(embedder: OnnxEmbedder, ask: Ask): Promise<Reply> {
  if (ask.count) return { id: ask.id, tokens: await embedder.tokens(ask.text) };
  return { id: ask.id, vector: await embedder.embed(ask.text) };
}

if (parentPort) void serve(parentPort, workerData as ThreadConfig);
