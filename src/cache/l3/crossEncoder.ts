/**
 * The trained duplicate-question cross-encoder (issue 13; training/verifier):
 * MiniLM-L6 reading "[CLS] a [SEP] b [SEP]" and returning one logit,
 * p(duplicate) = sigmoid(logit). int8 ONNX run by transformers.js from the
 * repository's models/ folder only: hub downloads are disabled.
 */
import path from 'node:path';
import { openSession } from '../embedding/onnxSession';

/** Where the shipped model lives: <package root>/models/verifier (same from src/ and dist/). */
export const DEFAULT_VERIFIER_MODELS_DIR = path.resolve(__dirname, '../../../models');
export const VERIFIER_MODEL_NAME = 'verifier';

export interface PairScorer {
  /** p(a and b ask the same question), in [0, 1]. */
  score(a: string, b: string): Promise<number>;
}

type Tokenizer = (text: string, options: { text_pair: string; truncation: boolean }) => Record<string, unknown>;
type Classifier = ((inputs: Record<string, unknown>) => Promise<{ logits: { data: ArrayLike<number> } }>) & { session: unknown };

export class CrossEncoder implements PairScorer {
  private constructor(private readonly tokenizer: Tokenizer, private readonly model: Classifier) {}

  /**
   * transformers.js keeps its settings in one global `env`, shared with the
   * embedder (which points it at .reflex/models): set them right before this
   * load, which reads every file up front, and never load two models at once.
   */
  static async load(modelsDir: string = DEFAULT_VERIFIER_MODELS_DIR, name: string = VERIFIER_MODEL_NAME, threads = 1): Promise<CrossEncoder> {
    const { AutoTokenizer, AutoModelForSequenceClassification, env } = await import('@xenova/transformers');
    env.localModelPath = modelsDir;
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    try {
      const tokenizer = (await AutoTokenizer.from_pretrained(name)) as unknown as Tokenizer;
      const model = (await AutoModelForSequenceClassification.from_pretrained(name, { quantized: true })) as unknown as Classifier;
      // Replaces transformers.js' default session (see onnxSession.ts).
      model.session = await openSession(path.join(modelsDir, name, 'onnx', 'model_quantized.onnx'), threads);
      return new CrossEncoder(tokenizer, model);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new Error(`cannot load the verifier model from ${path.join(modelsDir, name)} (REFLEX_VERIFIER_MODEL_PATH; run scripts/setup.sh, or REFLEX_VERIFIER=guards): ${why}`);
    }
  }

  async score(a: string, b: string): Promise<number> {
    const { logits } = await this.model(this.tokenizer(a, { text_pair: b, truncation: true }));
    return 1 / (1 + Math.exp(-Number(logits.data[0])));
  }
}
