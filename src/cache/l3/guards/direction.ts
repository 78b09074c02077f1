/**
 * "Convert JSON to YAML" and "convert YAML to JSON" contain the same words
 * and embed almost identically, yet ask opposite things. For each directional
 * connector we take the nearest shared content word on either side; if the
 * other question has those two words the other way round, it is a swap.
 * Surface words, not stems: a stemmer would merge HTTP and HTTPS.
 */
import type { Guard } from './guard';
import { STOPWORDS, words } from '../text';

const CONNECTORS = new Set(['to', 'into', 'from', 'than', 'vs', 'versus', 'over', 'onto', 'toward', 'towards', 'against']);

function orderedPairs(tokens: string[], shared: Set<string>): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  tokens.forEach((tok, i) => {
    if (!CONNECTORS.has(tok)) return;
    const left = tokens.slice(0, i).reverse().find((t) => shared.has(t));
    const right = tokens.slice(i + 1).find((t) => shared.has(t));
    if (left && right && left !== right) pairs.push([left, right]);
  });
  return pairs;
}

export function swapped(query: string, candidate: string): boolean {
  const a = words(query);
  const b = words(candidate);
  const inB = new Set(b);
  const shared = new Set(a.filter((t) => inB.has(t) && !STOPWORDS.has(t) && !CONNECTORS.has(t)));
  const reversed = (tokens: string[], [x, y]: [string, string]) => tokens.indexOf(x) > tokens.indexOf(y);
  return orderedPairs(a, shared).some((p) => reversed(b, p)) || orderedPairs(b, shared).some((p) => reversed(a, p));
}

export const directionGuard: Guard = { name: 'direction_swap', conflict: swapped };
