/**
 * A tenant's semantic acceptance, learned from judged candidates under an
 * error budget δ (REFLEX_MAX_WRONG_HITS): the lowest cosine floor at which
 * the candidates judged so far were wrong at most δ of the time with 95%
 * confidence (Wilson upper bound over the judged candidates at or above the
 * floor). Never below the configured floor (the guards verifier's threshold:
 * where serving started), and no semantic hits at all while no floor can be
 * shown to keep the rate under δ — so a tenant starts strict and relaxes only
 * as far as its judgements allow.
 */
import { wilsonUpper, Z_95_ONE_SIDED } from './wilson';

export interface Judged {
  /** The cosine L3 compared (what the floor applies to). */
  similarity: number;
  /** The candidate's answer did not answer the query. */
  wrong: boolean;
}

/** No floor: nothing has shown that semantic hits stay under δ for this tenant. */
export const CLOSED = Number.POSITIVE_INFINITY;

export function learnedFloor(judged: readonly Judged[], delta: number, base: number, z = Z_95_ONE_SIDED): number {
  const eligible = judged.filter((j) => j.similarity >= base).sort((a, b) => b.similarity - a.similarity);
  let best = CLOSED;
  let wrong = 0;
  for (let i = 0; i < eligible.length; i++) {
    wrong += eligible[i]!.wrong ? 1 : 0;
    // A floor sits at a judged similarity; ties go in together.
    if (i + 1 < eligible.length && eligible[i + 1]!.similarity === eligible[i]!.similarity) continue;
    if (wilsonUpper(wrong, i + 1, z) <= delta) best = eligible[i]!.similarity;
  }
  return best;
}

/**
 * A tenant's floor under the error budget, from its audited hits (each one a
 * uniform sample of what it was served): none (the configured one applies)
 * while no wrong hit was seen or the audited rate's upper bound is within δ.
 * Past δ, the floor rises just above the most similar wrong hit seen (every
 * known wrong pair stops being served), unless the judged hits show a lower
 * floor keeps the rate within δ (learnedFloor): so it relaxes only as far as
 * audits allow, and as more right hits are audited the bound falls back
 * under δ and the configured floor applies again.
 */
export function budgetFloor(audited: readonly Judged[], delta: number, base: number): number | undefined {
  const wrong = audited.filter((j) => j.wrong);
  if (wrong.length === 0 || wilsonUpper(wrong.length, audited.length) <= delta) return undefined;
  const aboveWrong = Math.max(...wrong.map((j) => j.similarity)) + ABOVE;
  return Math.max(base, Math.min(aboveWrong, learnedFloor(audited, delta, base)));
}

/** How far above a wrong hit's cosine the floor goes: past float noise, well under any real paraphrase's spacing. */
const ABOVE = 1e-6;
