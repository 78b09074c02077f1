/**
 * A tenant's semantic acceptance, learned from judged candidates under an
 * error budget δ (REFLEX_MAX_WRONG_HITS): the lowest cosine floor whose
 * judged candidates (at or above it) show, at 95% confidence, a wrong rate
 * under δ. Never below the configured floor (the verifier's threshold: where
 * serving started), and no semantic hits at all while no floor can be shown
 * to keep the rate under δ — so a tenant starts strict and relaxes only as
 * far as its judgements allow.
 *
 * The floor is chosen again at every new judgement, from a fixed grid
 * (FLOOR_STEP apart), so the test must hold at every look, for every floor.
 * Each floor's is a test martingale (Ville's inequality): under "the rate is
 * δ or more", the likelihood ratio of the judgements against a lower rate q
 * never reaches 1/α' with probability over α', however often it is looked
 * at. A mixture over a few q (DELTA_SHARES of δ) adapts to how clean the
 * candidates are, and α' = α / (floors in the grid). At δ = 2% a floor opens
 * after ~400 clean judgements at or above it (a Wilson bound with α split
 * over floors and doublings of the sample needed ~800, and a doubling's own
 * looks were not covered).
 */
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
/** The alternatives q the mixture weighs equally, as shares of δ: clean candidates favour the low ones, a few wrong the high. */
const DELTA_SHARES = [1 / 8, 1 / 4, 1 / 2, 3 / 4];

export function learnedFloor(judged: readonly Judged[], delta: number, base: number): number {
  const floors = floorGrid(base);
  const sorted = judged.filter((j) => j.similarity >= base).sort((a, b) => b.similarity - a.similarity);
  // From the top floor down, the judgements at or above each: one pass, the lowest passing floor wins.
  let lowest = CLOSED;
  for (let f = floors.length - 1, n = 0, wrong = 0; f >= 0; f--) {
    for (; n < sorted.length && sorted[n]!.similarity >= floors[f]!; n++) wrong += sorted[n]!.wrong ? 1 : 0;
    if (underBudget(wrong, n, delta, floors.length)) lowest = floors[f]!;
  }
  return lowest;
}

/** Floors from base up in FLOOR_STEP, lowest first (rounded: no float drift in what /metrics shows). */
export function floorGrid(base: number): number[] {
  const floors: number[] = [];
  for (let i = 0; base + i * FLOOR_STEP < 1; i++) floors.push(Math.round((base + i * FLOOR_STEP) * 1e6) / 1e6);
  return floors;
}

/**
 * Whether `wrong` of `n` judgements reject "the rate is δ or more" for one of
 * `tests` floors: the mixture likelihood ratio reaches tests / α (logs, so a
 * long clean run cannot overflow).
 */
export function underBudget(wrong: number, n: number, delta: number, tests: number): boolean {
  if (n === 0 || !(delta > 0 && delta < 1)) return false;
  const logs = DELTA_SHARES.map((share) => {
    const q = share * delta;
    return wrong * Math.log(q / delta) + (n - wrong) * Math.log((1 - q) / (1 - delta));
  });
  const top = Math.max(...logs);
  const logMean = top + Math.log(logs.reduce((sum, l) => sum + Math.exp(l - top), 0) / logs.length);
  return logMean >= Math.log(tests / ALPHA);
}

/**
 * How many more judgements, none of them wrong, `wrong` of `n` needs before
 * it passes (0 once it does): how far a closed floor is from opening. The
 * ratio only grows with each clean judgement, so a doubling then a bisection
 * finds it.
 */
export function cleanToOpen(wrong: number, n: number, delta: number, tests: number): number {
  if (underBudget(wrong, n, delta, tests)) return 0;
  let hi = 1;
  for (; !underBudget(wrong, n + hi, delta, tests); hi *= 2) if (hi > 1e9) return Number.POSITIVE_INFINITY;
  let lo = Math.floor(hi / 2); // fails (or is 0, which failed above)
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (underBudget(wrong, n + mid, delta, tests)) hi = mid;
    else lo = mid;
  }
  return hi;
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
