/**
 * How the gateway runs its ONNX models (the embedder, the verifier): a model
 * folder's tokenizer (transformers.js, tokenizing only) and its int8 graph run
 * directly with ONNX Runtime — CPU, a fixed number of intra-op threads that
 * sleep between runs. transformers.js 2.x would open the graph with one
 * spinning thread per core; one embedding is a few milliseconds of small
 * matrix work, and threads spinning after it take the CPU the request still
 * needs to answer (BENCHMARKS.md, semantic hit).
 */
import path from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';

type Encoding = { input_ids: number[]; attention_mask: number[]; token_type_ids?: number[] };
type Tokenize = ((text: string, options: { text_pair?: string; truncation: boolean; return_tensor: false }) => Encoding) & { model_max_length: number };

export interface OnnxModel {
  session: InferenceSession;
  /** The graph's file, for another session of it. */
  file: string;
  /** The graph's inputs for one text (or a text pair), and the attention mask; tokens past `window` are cut. */
  encode(text: string, pair?: string): { feeds: Record<string, Tensor>; mask: BigInt64Array };
  /** The most tokens the model reads of one text or a pair, special tokens included (the tokenizer's model_max_length). */
  window: number;
  /** How many tokens `text` is, special tokens included, before any cut. */
  tokens(text: string): number;
}

/** The tokenizer and the int8 graph of `<modelsDir>/<name>` (local files only: hub downloads are off). */
export async function loadOnnxModel(modelsDir: string, name: string, threads: number): Promise<OnnxModel> {
  const { AutoTokenizer, env } = await import('@xenova/transformers');
  // transformers.js keeps its settings in one global: set right before the load, which reads every file up front.
  env.localModelPath = modelsDir;
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  const tokenize = (await AutoTokenizer.from_pretrained(name)) as unknown as Tokenize;
  const file = path.join(modelsDir, name, 'onnx', 'model_quantized.onnx');
  const session = await openSession(file, threads);
  const wantsTypes = session.inputNames.includes('token_type_ids');
  return {
    session,
    file,
    window: tokenize.model_max_length,
    tokens: (text) => tokenize(text, { truncation: false, return_tensor: false }).input_ids.length,
    encode(text, pair) {
      const encoded = tokenize(text, { ...(pair === undefined ? {} : { text_pair: pair }), truncation: true, return_tensor: false });
      const dims = [1, encoded.input_ids.length];
      const ints = (values: number[]) => new Tensor('int64', BigInt64Array.from(values, BigInt), dims);
      const mask = ints(encoded.attention_mask);
      const feeds: Record<string, Tensor> = { input_ids: ints(encoded.input_ids), attention_mask: mask };
      if (wantsTypes) feeds.token_type_ids = ints(encoded.token_type_ids ?? encoded.input_ids.map(() => 0));
      return { feeds, mask: mask.data as BigInt64Array };
    },
  };
}

export function openSession(file: string, threads: number): Promise<InferenceSession> {
  return InferenceSession.create(file, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
}
