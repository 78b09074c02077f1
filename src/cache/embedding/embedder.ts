/**
 * Sentence embeddings in-process with transformers.js (ONNX Runtime), from a
 * local folder only: hub downloads are disabled. The dimension is read from
 * the model's output, never assumed.
 */
export interface Embedder {
  readonly dim: number;
  /** L2-normalised mean-pooled embedding. */
  embed(text: string): Promise<Float32Array>;
}

type Extractor = (text: string, options: { pooling: 'mean'; normalize: boolean }) => Promise<{ data: Float32Array; dims: number[] }>;

export class TransformersEmbedder implements Embedder {
  private constructor(private readonly extract: Extractor, readonly dim: number) {}

  static async load(modelPath: string, modelName: string): Promise<TransformersEmbedder> {
    const { pipeline, env } = await import('@xenova/transformers');
    env.localModelPath = modelPath;
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    const extractor = (await pipeline('feature-extraction', modelName, { quantized: true })) as unknown as Extractor;
    const probe = await extractor('dimension probe', { pooling: 'mean', normalize: true });
    return new TransformersEmbedder(extractor, probe.data.length);
  }

  async embed(text: string): Promise<Float32Array> {
    const out = await this.extract(text, { pooling: 'mean', normalize: true });
    return Float32Array.from(out.data);
  }
}
