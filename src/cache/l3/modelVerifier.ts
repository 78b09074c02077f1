/**
 * The model L3 (REFLEX_VERIFIER=model): cheap stages first, then the
 * cross-encoder. A cosine floor lower than the guard verifier's shortlists
 * candidates (the model, not the embedding, now tells paraphrases from
 * near-misses), the structural guards veto what they are sure of for free
 * (below the guards' floor, all but those the model reads better: question
 * words, word order and quantifiers, Guard.modelReadsIt),
 * a candidate at or above the guard verifier's own floor is served as that
 * verifier would serve it (the model adds almost no precision there and
 * rejected one-word rewordings such as "Which"/"What"; BENCHMARKS.md), and
 * only what is left between the two floors costs one model run (a few ms).
 * So model mode serves a superset of what guards mode serves. SemanticLookup
 * asks candidates best first and stops at the first acceptance.
 */
import type { Guard } from './guards';
import type { PairScorer } from './crossEncoder';
import type { Candidate, Verdict, Verifier } from './verifier';

export { DEFAULT_MODEL_FLOOR, DEFAULT_MODEL_THRESHOLD } from '../../config';

export class ModelVerifier implements Verifier {
  readonly kind = 'model';

  constructor(
    private readonly floor: number,
    private readonly threshold: number,
    private readonly guards: readonly Guard[],
    private readonly scorer: PairScorer,
    /** The guards verifier's floor (REFLEX_SIMILARITY_THRESHOLD): from here on the model is not asked. */
    private readonly guardsFloor = Infinity,
  ) {}

  async verify(query: string, candidate: Candidate): Promise<Verdict> {
    // X-Reflex-Threshold replaces the cosine floor here too, so a caller can still be stricter per request.
    if (!(candidate.similarity >= (candidate.threshold ?? this.floor))) return { accepted: false, reason: 'below_threshold' };
    const modelAsked = candidate.similarity < this.guardsFloor;
    const veto = this.guards.find((g) => !(modelAsked && g.modelReadsIt) && g.conflict(query, candidate.text));
    if (veto) return { accepted: false, reason: veto.name };
    if (!modelAsked) return { accepted: true, reason: 'verified' };
    const p = await this.scorer.score(query, candidate.text);
    return p >= this.threshold ? { accepted: true, reason: 'verified' } : { accepted: false, reason: 'model_rejected' };
  }
}
