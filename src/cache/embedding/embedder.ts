/**
 * Sentence embeddings in-process: the model run as onnxSession.ts runs it,
 * then mean pooling over the tokens and L2 normalisation — what
 * transformers.js' feature-extraction pipeline computes, without the ~0.8 ms
 * a call its tensor wrappers cost. The dimension is read from the model's
 * output, never assumed.
 */
import type { InferenceSession } from 'onnxruntime-node';
import { loadOnnxModel, OnnxModel, openSession } from './onnxSession';

export interface EmbedOptions {
  /** Other requests are being looked up in this process at the same time: spend the least CPU, not the least time. */
  contended?: boolean;
}

export interface Embedder {
  readonly dim: number;
  /** L2-normalised mean-pooled embedding. */
  embed(text: string, options?: EmbedOptions): Promise<Float32Array>;
}

/**
 * An embedder that says how much of a text its model reads: the model cuts a
 * text at `window` tokens, and L3 may compare only what was read
 * (l3/compare.ts).
 */
export interface WindowedEmbedder extends Embedder {
  /** The most tokens the model reads of one text, special tokens included. */
  readonly window: number;
  /** Tokens in `text`, special tokens included, before the cut at `window`. */
  tokens(text: string): Promise<number>;
}

/**
 * Whether the model reads all of `text`. Bounds settle most texts without
 * tokenizing: a WordPiece token spans at least one character of the text as
 * the tokenizer normalises it (NFD can make up to four of one), and every
 * whitespace-separated word gives at least one token.
 */
export async function readsWhole(embedder: WindowedEmbedder, text: string): Promise<boolean> {
  const room = embedder.window - 2; // [CLS] and [SEP]
  if (text.length * 4 <= room) return true;
  if (text.split(/\s+/).filter(Boolean).length > room) return false;
  return (await embedder.tokens(text)) <= embedder.window;
}

export interface EmbedderOptions {
  /** ONNX Runtime intra-op threads (REFLEX_EMBED_THREADS). */
  threads: number;
}

/**
 * With several threads configured, a second session of the same graph runs on
 * one thread, for embeddings asked while other lookups are in progress. The
 * threads of the first halve one embedding's latency on an idle machine but
 * cost ~1.2 ms more CPU each (5.45 vs 4.25 ms), and far more when the cores are
 * saturated: under 64 concurrent misses one thread saved ~5 ms of gateway CPU
 * per miss in three of three paired runs (BENCHMARKS.md, misses under load).
 */
export class OnnxEmbedder implements WindowedEmbedder {
  dim = 0;

  private constructor(
    private readonly model: OnnxModel,
    private readonly narrow: InferenceSession,
  ) {}

  static async load(modelPath: string, modelName: string, options: EmbedderOptions = { threads: 1 }): Promise<OnnxEmbedder> {
    const model = await loadOnnxModel(modelPath, modelName, options.threads);
    const narrow = options.threads > 1 ? await openSession(model.file, 1) : model.session;
    const embedder = new OnnxEmbedder(model, narrow);
    embedder.dim = (await embedder.embed('dimension probe')).length;
    return embedder;
  }

  get window(): number {
    return this.model.window;
  }

  async tokens(text: string): Promise<number> {
    return this.model.tokens(text);
  }

  async embed(text: string, options: EmbedOptions = {}): Promise<Float32Array> {
    const session = options.contended ? this.narrow : this.model.session;
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
