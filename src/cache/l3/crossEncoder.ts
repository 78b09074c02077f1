/**
 * The trained duplicate-question cross-encoder (issue 13; training/verifier):
 * MiniLM-L6 reading "[CLS] a [SEP] b [SEP]" and returning one logit,
 * p(duplicate) = sigmoid(logit). Its int8 ONNX graph is run as
 * embedding/onnxSession.ts runs models, from the repository's models/ folder.
 */
import path from 'node:path';
import { loadOnnxModel, OnnxModel } from '../embedding/onnxSession';
import { DEFAULT_VERIFIER_MODELS_DIR, VERIFIER_MODEL_NAME } from '../../config';


export interface PairScorer {
  /** p(a and b ask the same question), in [0, 1]. */
  score(a: string, b: string): Promise<number>;
}

export class CrossEncoder implements PairScorer {
  private constructor(private readonly model: OnnxModel) {}

  static async load(modelsDir: string = DEFAULT_VERIFIER_MODELS_DIR, name: string = VERIFIER_MODEL_NAME, threads = 1): Promise<CrossEncoder> {
    try {
      return new CrossEncoder(await loadOnnxModel(modelsDir, name, threads));
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new Error(`cannot load the verifier model from ${path.join(modelsDir, name)} (REFLEX_VERIFIER_MODEL_PATH; run scripts/setup.sh, or REFLEX_VERIFIER=guards): ${why}`);
    }
  }

  async score(a: string, b: string): Promise<number> {
    const { session } = this.model;
    const logits = (await session.run(this.model.encode(a, b).feeds))[session.outputNames[0]!]!;
    return 1 / (1 + Math.exp(-Number((logits.data as Float32Array)[0])));
  }
}
