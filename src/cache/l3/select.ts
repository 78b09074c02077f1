/**
 * Builds the configured L3 (REFLEX_VERIFIER): `model` runs the trained
 * cross-encoder behind a cosine floor and the guards; `guards` is the
 * cosine floor + structural guards alone. Only the API role calls this, so a
 * worker-only process never loads the model.
 */
import { CrossEncoder, type PairScorer } from './crossEncoder';
import { createVerifier } from './guardedVerifier';
import { DEFAULT_GUARDS, guardsByName } from './guards';
import { ModelVerifier } from './modelVerifier';
import type { Verifier } from './verifier';

export type VerifierKind = 'model' | 'guards';

export interface VerifierSettings {
  kind: VerifierKind;
  /** Cosine floor of the guards verifier (REFLEX_SIMILARITY_THRESHOLD). */
  similarityThreshold: number;
  /** Guard names; undefined = the default set (REFLEX_VERIFIER_GUARDS). */
  guards?: readonly string[];
  model: {
    /** Folder holding verifier/ (REFLEX_VERIFIER_MODEL_PATH). */
    path: string;
    /** p(duplicate) needed to serve (REFLEX_VERIFIER_THRESHOLD). */
    threshold: number;
    /** Cosine shortlist floor before the model runs (REFLEX_VERIFIER_FLOOR). */
    floor: number;
    /** ONNX Runtime intra-op threads (REFLEX_EMBED_THREADS, shared with the embedder). */
    threads?: number;
  };
}

/** `scorer` replaces the shipped model (the eval passes a memoising one). */
export async function loadVerifier(s: VerifierSettings, scorer?: PairScorer): Promise<Verifier> {
  if (s.kind === 'guards') return createVerifier({ threshold: s.similarityThreshold, guards: s.guards });
  const model = scorer ?? (await CrossEncoder.load(s.model.path, undefined, s.model.threads));
  return new ModelVerifier(s.model.floor, s.model.threshold, guardsByName(s.guards ?? DEFAULT_GUARDS), model, s.similarityThreshold);
}
