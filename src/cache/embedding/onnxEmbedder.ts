/**
 * Sentence embeddings with ONNX Runtime, in the thread that calls it: the
 * model run as onnxSession.ts runs it, then mean pooling over the tokens and
 * L2 normalisation — what transformers.js' feature-extraction pipeline
 * computes, without the ~0.8 ms a call its tensor wrappers cost. ONNX
 * Runtime's run blocks its thread, so the gateway runs this in a thread of
 * its own (threadedEmbedder.ts); CLI tools and the offline eval use it directly.
 */
import type { WindowedEmbedder } from './embedder';
import { readModelInfo } from './modelInfo';
import { loadOnnxModel, OnnxModel } from './onnxSession';

export interface EmbedderOptions {
  /** ONNX Runtime intra-op threads (REFLEX_EMBED_THREADS). */
  threads: number;
}

export class OnnxEmbedder implements WindowedEmbedder {
  dim = 0;

  private constructor(
    private readonly model: OnnxModel,
    readonly id: string,
  ) {}

  static async load(modelPath: string, modelName: string, options: EmbedderOptions = { threads: 1 }): Promise<OnnxEmbedder> {
    const [model, info] = await Promise.all([loadOnnxModel(modelPath, modelName, options.threads), readModelInfo(modelPath, modelName)]);
    const embedder = new OnnxEmbedder(model, info.id);
    embedder.dim = (await embedder.embed('dimension probe')).length;
    return embedder;
  }

  get window(): number {
    return this.model.window;
  }

  async tokens(text: string): Promise<number> {
    return this.model.tokens(text);
  }

  async embed(text: string): Promise<Float32Array> {
    const { session } = this.model;
    const { feeds, mask } = this.model.encode(text);
    const out = (await session.run(feeds))[session.outputNames[0]!]!;
    return meanPooledUnit(out.data as Float32Array, out.dims[1]!, out.dims[2]!, mask);
  }
}

/** The mean of the token vectors the mask keeps, scaled to unit length. */
export function meanPooledUnit(hidden: Float32Array, tokens: number, dim: number, mask: BigInt64Array): Float32Array {
  const sum = new Float32Array(dim);
  let kept = 0;
  for (let t = 0; t < tokens; t++) {
    if (mask[t] === 0n) continue;
    kept++;
    for (let j = 0, o = t * dim; j < dim; j++) sum[j]! += hidden[o + j]!;
  }
  let norm = 0;
  for (let j = 0; j < dim; j++) norm += (sum[j]! /= Math.max(kept, 1)) ** 2;
  norm = Math.sqrt(norm) || 1;
  for (let j = 0; j < dim; j++) sum[j]! /= norm;
  return sum;
}
