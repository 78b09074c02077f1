/**
 * Sentence embeddings in-process: the model's tokenizer (transformers.js)
 * and its ONNX graph run directly with ONNX Runtime, then mean pooling over
 * the tokens and L2 normalisation — what transformers.js' feature-extraction
 * pipeline computes (same vectors to ~1e-7), without the ~0.8 ms a call its
 * tensor wrappers cost. From a local folder only: hub downloads are disabled.
 * The dimension is read from the model's output, never assumed.
 */
import path from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { openSession } from './onnxSession';

export interface Embedder {
  readonly dim: number;
  /** L2-normalised mean-pooled embedding. */
  embed(text: string): Promise<Float32Array>;
}

interface Encoded {
  input_ids: { data: BigInt64Array; dims: number[] };
  attention_mask: { data: BigInt64Array };
  token_type_ids?: { data: BigInt64Array };
}
type Tokenizer = (text: string, options: { truncation: boolean }) => Encoded;

export interface EmbedderOptions {
  /** ONNX Runtime intra-op threads (REFLEX_EMBED_THREADS). */
  threads: number;
}

export class TransformersEmbedder implements Embedder {
  dim = 0;

  private constructor(private readonly tokenizer: Tokenizer, private readonly session: InferenceSession) {}

  static async load(modelPath: string, modelName: string, options: EmbedderOptions = { threads: 1 }): Promise<TransformersEmbedder> {
    const { AutoTokenizer, env } = await import('@xenova/transformers');
    env.localModelPath = modelPath;
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    const tokenizer = (await AutoTokenizer.from_pretrained(modelName)) as unknown as Tokenizer;
    const session = await openSession(path.join(modelPath, modelName, 'onnx', 'model_quantized.onnx'), options.threads);
    const embedder = new TransformersEmbedder(tokenizer, session);
    embedder.dim = (await embedder.embed('dimension probe')).length;
    return embedder;
  }

  async embed(text: string): Promise<Float32Array> {
    const encoded = this.tokenizer(text, { truncation: true });
    const dims = encoded.input_ids.dims;
    const feeds: Record<string, Tensor> = {
      input_ids: new Tensor('int64', encoded.input_ids.data, dims),
      attention_mask: new Tensor('int64', encoded.attention_mask.data, dims),
    };
    if (this.session.inputNames.includes('token_type_ids')) {
      feeds.token_type_ids = new Tensor('int64', encoded.token_type_ids?.data ?? new BigInt64Array(encoded.input_ids.data.length), dims);
    }
    const out = (await this.session.run(feeds))[this.session.outputNames[0]!]!;
    return meanPooledUnit(out.data as Float32Array, out.dims[1]!, out.dims[2]!, encoded.attention_mask.data);
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
