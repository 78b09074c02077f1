/**
 * "Convert JSON to YAML" and "convert YAML to JSON" contain the same words
 * and embed almost identically, yet ask opposite things; so do "a recipe with
 * chicken but no garlic" and "… garlic but no chicken". For each directional
 * connector we take the nearest shared content word on either side; if the
 * other question has those two words the other way round, it is a swap.
 * Surface words, not stems (a stemmer would merge HTTP and HTTPS), but for
 * -ing, -ed and a final -e (see base).
 */
import type { Guard } from './guard';
import { STOPWORDS, words } from '../text';

// Directions, and what excludes, contrasts or sequences one side against the other: "chicken but no
// garlic" is not "garlic but no chicken", "wash before dyeing" is not "dye before washing".
const CONNECTORS = new Set([
  'to', 'into', 'from', 'than', 'vs', 'versus', 'over', 'onto', 'toward', 'towards', 'against',
  'no', 'not', 'cannot', 'without', 'except', 'but', 'instead', 'rather', 'unlike', 'before', 'after', 'while', 'because', 'when',
]);

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

/**
 * "dyeing" and "dye", "washing" and "wash" as one word, so "wash before
 * dyeing" is seen swapped in "dye before washing". Only -ing, -ed and a final
 * -e: a plural -s stays, so HTTP and HTTPS remain two words.
 */
function base(token: string): string {
  if (CONNECTORS.has(token) || STOPWORDS.has(token) || !/^[a-z]+$/.test(token)) return token;
  const stripped = token.length >= 5 && token.endsWith('ing') ? token.slice(0, -3) : token.length >= 4 && token.endsWith('ed') ? token.slice(0, -2) : token;
  return stripped.length >= 3 && stripped.endsWith('e') ? stripped.slice(0, -1) : stripped;
}

export function swapped(query: string, candidate: string): boolean {
  const a = words(query).map(base);
  const b = words(candidate).map(base);
  const inB = new Set(b);
  const shared = new Set(a.filter((t) => inB.has(t) && !STOPWORDS.has(t) && !CONNECTORS.has(t)));
  const reversed = (tokens: string[], [x, y]: [string, string]) => tokens.indexOf(x) > tokens.indexOf(y);
  return orderedPairs(a, shared).some((p) => reversed(b, p)) || orderedPairs(b, shared).some((p) => reversed(a, p));
}

export const directionGuard: Guard = { name: 'direction_swap', conflict: swapped };
