/**
 * The body of the embedding thread (see threadedEmbedder.ts): loads the model
 * once, then answers each { id, text, contended } with the vector, its buffer
 * transferred rather than copied.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { OnnxEmbedder } from './embedder';

export interface ThreadConfig {
  modelPath: string;
  modelName: string;
  threads: number;
}

export type Ask = { id: number; text: string; contended?: boolean };
export type Reply = { id: number; vector: Float32Array } | { id: number; error: string };
export type Ready = { ready: true; dim: number } | { ready: false; error: string };

async function serve(port: NonNullable<typeof parentPort>, config: ThreadConfig): Promise<void> {
  let embedder: OnnxEmbedder;
  try {
    embedder = await OnnxEmbedder.load(config.modelPath, config.modelName, { threads: config.threads });
  } catch (err) {
    port.postMessage({ ready: false, error: err instanceof Error ? err.message : String(err) } satisfies Ready);
    return;
  }
  port.on('message', (ask: Ask) => {
    embedder.embed(ask.text, { contended: ask.contended }).then(
      (vector) => port.postMessage({ id: ask.id, vector } satisfies Reply, [vector.buffer as ArrayBuffer]),
      (err: unknown) => port.postMessage({ id: ask.id, error: err instanceof Error ? err.message : String(err) } satisfies Reply),
    );
  });
  port.postMessage({ ready: true, dim: embedder.dim } satisfies Ready);
}

if (parentPort) void serve(parentPort, workerData as ThreadConfig);
