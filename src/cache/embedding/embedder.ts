/**
 * Sentence embeddings in-process with transformers.js (ONNX Runtime), from a
 * local folder only: hub downloads are disabled. The dimension is read from
 * the model's output, never assumed.
 */
import path from 'node:path';
import { InferenceSession } from 'onnxruntime-node';

export interface Embedder {
  readonly dim: number;
  /** L2-normalised mean-pooled embedding. */
  embed(text: string): Promise<Float32Array>;
}

type Extractor = ((text: string, options: { pooling: 'mean'; normalize: boolean }) => Promise<{ data: Float32Array; dims: number[] }>) & {
  model: { session: unknown };
};

export interface EmbedderOptions {
  /** ONNX Runtime intra-op threads (REFLEX_EMBED_THREADS). */
  threads: number;
}

export class TransformersEmbedder implements Embedder {
  private constructor(private readonly extract: Extractor, readonly dim: number) {}

  static async load(modelPath: string, modelName: string, options: EmbedderOptions = { threads: 1 }): Promise<TransformersEmbedder> {
    const { pipeline, env } = await import('@xenova/transformers');
    env.localModelPath = modelPath;
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    const extractor = (await pipeline('feature-extraction', modelName, { quantized: true })) as unknown as Extractor;
    // transformers.js 2.x creates its session with ONNX Runtime's default thread pool (one thread
    // per core, spinning between ops). One embedding is a few milliseconds of small matrix work:
    // on a busy machine those threads mostly wait on each other, so the session is replaced
    // by one with a fixed thread count (by default one: each request embeds on its own).
    extractor.model.session = await InferenceSession.create(path.join(modelPath, modelName, 'onnx', 'model_quantized.onnx'), {
      executionProviders: ['cpu'],
      intraOpNumThreads: options.threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    const probe = await extractor('dimension probe', { pooling: 'mean', normalize: true });
    return new TransformersEmbedder(extractor, probe.data.length);
  }

  async embed(text: string): Promise<Float32Array> {
    const out = await this.extract(text, { pooling: 'mean', normalize: true });
    return Float32Array.from(out.data);
  }
}
