/**
 * The default L3: a calibrated cosine floor, then structural guards that
 * veto near-duplicates whose answers differ (numbers, negation, opposites,
 * swapped direction, names/code, language). Pure: it costs
 * microseconds on the hit path, next to the one embedding L2 already paid.
 */
import type { Candidate, Verdict, Verifier } from './verifier';
import { DEFAULT_GUARDS, guardsByName, type Guard } from './guards';

export { DEFAULT_SIMILARITY_THRESHOLD } from '../../config';

export interface VerifierOptions {
  /** Cosine floor (REFLEX_SIMILARITY_THRESHOLD). */
  threshold: number;
  /** Guard names to apply (REFLEX_VERIFIER_GUARDS); default: DEFAULT_GUARDS. */
  guards?: readonly string[];
}

export class GuardedVerifier implements Verifier {
  readonly kind = 'guards';
  constructor(private readonly threshold: number, private readonly guards: readonly Guard[]) {}

  async verify(query: string, candidate: Candidate): Promise<Verdict> {
    return this.verifyNow(query, candidate);
  }

  /** The same decision, synchronously (the model verifier reuses it as its cheap stage). */
  verifyNow(query: string, candidate: Candidate): Verdict {
    if (!(candidate.similarity >= (candidate.threshold ?? this.threshold))) return { accepted: false, reason: 'below_threshold' };
    const veto = this.firstConflict(query, candidate.text);
    return veto ? { accepted: false, reason: veto } : { accepted: true, reason: 'verified' };
  }

  /** The first guard that objects, regardless of similarity (used by the eval's threshold sweep). */
  firstConflict(query: string, candidateText: string): string | undefined {
    return this.guards.find((g) => g.conflict(query, candidateText))?.name;
  }
}

export function createVerifier(options: VerifierOptions): GuardedVerifier {
  return new GuardedVerifier(options.threshold, guardsByName(options.guards ?? DEFAULT_GUARDS));
}
