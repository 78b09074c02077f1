/**
 * L3: decides whether a semantically close cached entry really answers the
 * new question. A false hit (serving another question's answer) is the worst
 * failure of a semantic cache, so anything doubtful is rejected.
 */
export interface Candidate {
  /** The cached entry's semantic text (its last user turn), or the span of it that differs from the query's (compare.ts). */
  text: string;
  /** Full-precision cosine similarity between query and candidate embeddings. */
  similarity: number;
  /** A per-request floor (X-Reflex-Threshold) that replaces the configured one. */
  threshold?: number;
}

export interface Verdict {
  accepted: boolean;
  /** Short machine-readable reason, e.g. "below_threshold", "number_mismatch". */
  reason: string;
}

/** Async because the model verifier runs a cross-encoder; the guard verifier resolves at once. */
export interface Verifier {
  /** Which verifier this is ("model" or "guards"), reported by metrics and the eval. */
  readonly kind: 'model' | 'guards';
  verify(query: string, candidate: Candidate): Promise<Verdict>;
}
