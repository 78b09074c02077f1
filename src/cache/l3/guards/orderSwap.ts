/**
 * "Are tigers afraid of cats?" and "Are cats afraid of tigers?" (0.987),
 * "What percentage of Muslims are terrorists?" and "… of terrorists are
 * Muslim?": two shared words trade places around the same words. The
 * direction guard covers swaps around listed connectors; this one covers any
 * words in between, as long as one side's in-between run is contained in the
 * other's (so "psychology graduates apply for data science" / "data science
 * graduates apply for psychology" counts). A reordered clause ("if I could go
 * back in time, what would I change" / "what would I change if …") has
 * different words in between and passes; so does a coordination ("India and
 * Pakistan"). Asked by the model verifier only at or over the guards' floor.
 */
import type { Guard } from './guard';
import { STOPWORDS, words } from '../text';

const ARTICLES = new Set(['a', 'an', 'the']);
/** Words that join two things as equals: "between X and Y" is "between Y and X". */
const SYMMETRIC = new Set(['and', 'or', 'nor', 'between', 'both', 'vs', 'versus', 'with']);

/** Inflections as one word (a plural too: "Muslims" and "Muslim"); function words as they are. */
const base = (w: string) => (STOPWORDS.has(w) ? w : w.replace(/(?:ing|ed|e|s)$/, ''));

function containsRun(long: string[], short: string[]): boolean {
  if (short.length === 0 || short.length > long.length) return false;
  for (let i = 0; i + short.length <= long.length; i++) if (short.every((t, j) => long[i + j] === t)) return true;
  return false;
}

export function orderSwapped(query: string, candidate: string): boolean {
  const tokens = (text: string) => words(text).map(base).filter((w) => !ARTICLES.has(w));
  const [a, b] = [tokens(query), tokens(candidate)];
  const inB = new Set(b);
  const shared = [...new Set(a)].filter((w) => inB.has(w) && !STOPWORDS.has(w) && !SYMMETRIC.has(w));
  return shared.some((x) =>
    shared.some((y) => {
      const [ax, ay, bx, by] = [a.indexOf(x), a.indexOf(y), b.indexOf(x), b.indexOf(y)];
      if (!(ax < ay && by < bx)) return false;
      const [betweenA, betweenB] = [a.slice(ax + 1, ay), b.slice(by + 1, bx)];
      if ([...betweenA, ...betweenB].some((w) => SYMMETRIC.has(w))) return false;
      return containsRun(betweenA, betweenB) || containsRun(betweenB, betweenA);
    }),
  );
}

export const orderSwapGuard: Guard = { name: 'order_swap', modelReadsIt: true, conflict: orderSwapped };
