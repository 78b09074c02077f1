/**
 * L3's defaults, in a leaf module so the configuration can read them without
 * loading a verifier (the cross-encoder module loads ONNX Runtime).
 * How each was chosen is in BENCHMARKS.md.
 */
import path from 'node:path';

/** REFLEX_SIMILARITY_THRESHOLD: the guards verifier's cosine floor, chosen on the QQP tune slice for the int8 embedding model. */
export const DEFAULT_SIMILARITY_THRESHOLD = 0.964;
/** REFLEX_VERIFIER_FLOOR: the model verifier's cosine shortlist floor, chosen on the tune slice. */
export const DEFAULT_MODEL_FLOOR = 0.84;
/** REFLEX_VERIFIER_THRESHOLD: p(duplicate) the model verifier needs to serve, chosen on the tune slice. */
export const DEFAULT_MODEL_THRESHOLD = 0.9;
/** Where the shipped verifier model lives: <package root>/models/verifier (same from src/ and dist/). */
export const DEFAULT_VERIFIER_MODELS_DIR = path.resolve(__dirname, '../../../models');
export const VERIFIER_MODEL_NAME = 'verifier';
