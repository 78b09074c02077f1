/** What the offline eval is asked (its options) and what it answers: shared by the eval and its plot. */
import type { PairScorer } from '../../cache/l3/crossEncoder';
import type { VerifierKind } from '../../cache/l3/select';
import type { Protocol } from './args';
import type { Scores } from './metrics';

export interface OfflineOptions {
  pairs: string;
  protocol: Protocol;
  /** Only these pairs: a slice of splits.json (0-based line numbers of the pairs file). */
  split?: { name: string; file: string };
  limit?: number;
  offset?: number;
  seed?: number;
  verifier?: VerifierKind;
  /** Cosine floor of the guards verifier. */
  threshold: number;
  guards?: string[];
  /** Model verifier: p(duplicate) threshold, cosine shortlist floor, the folder holding verifier/. */
  modelThreshold: number;
  modelFloor: number;
  verifierModelPath: string;
  sweepFloors?: number[];
  /** A JSON file of embeddings by text, read first and written back with any new ones. */
  embeddingsCache?: string;
  /** Replaces the shipped cross-encoder (unit tests). */
  scorer?: PairScorer;
  candidates?: number;
  topK?: number;
  modelPath: string;
  modelName: string;
  sweep?: number[];
  /** How many false positives to list in the result (default 0). */
  showFalsePositives?: number;
  log?: (line: string) => void;
}

/** A false positive at the chosen threshold, for reading what went wrong. */
export interface FalsePositive {
  asked: string;
  served: string;
  own: string;
  label: 0 | 1;
  similarity?: number;
}

export interface OfflineResult {
  verifier: VerifierKind;
  threshold: number;
  /** Model mode: the cosine shortlist floor. */
  floor?: number;
  scores: Scores;
  sweep: Array<{ threshold: number; floor?: number; scores: Scores }>;
  embedMsPerText: number;
  /** Guards: µs per candidate for the guards alone. */
  verifyUsPerCandidate: number;
  /** Model mode: ms per cross-encoder run, and how many runs (distinct pairs) the eval needed. */
  modelMsPerPair?: number;
  modelRuns?: number;
  falsePositives: FalsePositive[];
}
