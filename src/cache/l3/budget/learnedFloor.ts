/**
 * A tenant's semantic acceptance, learned from judged candidates under an
 * error budget δ (REFLEX_MAX_WRONG_HITS): the lowest cosine floor at which
 * the candidates judged so far were wrong at most δ of the time with 95%
 * confidence (Wilson upper bound over the judged candidates at or above the
 * floor). Never below the configured floor (the verifier's threshold: where
 * serving started), and no semantic hits at all while no floor can be shown
 * to keep the rate under δ — so a tenant starts strict and relaxes only as
 * far as its judgements allow.
 *
 * The 95% is kept for the choice, not for one floor looked at once: floors
 * come from a fixed grid (FLOOR_STEP apart), and the lowest that passes is
 * chosen again at every new judgement. Testing every floor at every look at
 * 95% opened floors whose true wrong rate was over δ in the offline harness
 * (BENCHMARKS.md), so α is split over the grid's floors and over the
 * doublings of each floor's sample (Σ 1/(k(k+1)) = 1): at δ = 2% a floor
 * opens after about 700–800 clean judgements at or above it.
 */
import { probit } from 'simple-statistics';
import { wilsonUpper } from './wilson';

export interface Judged {
  /** The cosine L3 compared (what the floor applies to). */
  similarity: number;
  /** The candidate's answer did not answer the query. */
  wrong: boolean;
}

/** No floor: nothing has shown that semantic hits stay under δ for this tenant. */
export const CLOSED = Number.POSITIVE_INFINITY;

/** The grid of floors a budget may choose from: base, base + 0.01, … below 1. */
export const FLOOR_STEP = 0.01;
const ALPHA = 0.05;

export function learnedFloor(judged: readonly Judged[], delta: number, base: number): number {
  const floors = floorGrid(base);
  const sorted = judged.filter((j) => j.similarity >= base).sort((a, b) => b.similarity - a.similarity);
  // From the top floor down, the judgements at or above each: one pass, the lowest passing floor wins.
  let lowest = CLOSED;
  for (let f = floors.length - 1, n = 0, wrong = 0; f >= 0; f--) {
    for (; n < sorted.length && sorted[n]!.similarity >= floors[f]!; n++) wrong += sorted[n]!.wrong ? 1 : 0;
    if (n > 0 && wilsonUpper(wrong, n, zFor(floors.length, n)) <= delta) lowest = floors[f]!;
  }
  return lowest;
}

/** Floors from base up in FLOOR_STEP, lowest first (rounded: no float drift in what /metrics shows). */
export function floorGrid(base: number): number[] {
  const floors: number[] = [];
  for (let i = 0; base + i * FLOOR_STEP < 1; i++) floors.push(Math.round((base + i * FLOOR_STEP) * 1e6) / 1e6);
  return floors;
}

/** One-sided z for one floor of `tests`, at a sample of n: its share of α for the doubling n falls in. */
export function zFor(tests: number, n: number): number {
  const k = Math.max(1, Math.ceil(Math.log2(n)));
  return probit(1 - ALPHA / (tests * k * (k + 1)));
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
