/**
 * Numbers that differ ("24 hours" vs "1 hour", "iPhone 5" vs "iPhone 6",
 * "$200" vs "$250") change the answer, yet barely move a sentence embedding.
 */
import type { Guard } from './guard';
import { sameSet, words } from '../text';

// "one" is left out on purpose: "which one is better" is not a count.
const NUMBER_WORDS: Record<string, string> = {
  zero: '0', two: '2', three: '3', four: '4', five: '5', six: '6', seven: '7', eight: '8', nine: '9',
  ten: '10', eleven: '11', twelve: '12', twenty: '20', thirty: '30', forty: '40', fifty: '50', hundred: '100',
  thousand: '1000', million: '1000000', billion: '1000000000', half: '0.5', twice: '2x', double: '2x', triple: '3x',
};

/** Digits with thousands separators removed and leading zeros dropped: "1,000" = "1000", "07" = "7". */
function canonicalNumber(raw: string): string {
  const plain = raw.replace(/,(?=\d{3}\b)/g, '');
  const [int = '', frac] = plain.split('.');
  const i = int.replace(/^0+(?=\d)/, '');
  return frac === undefined || /^0*$/.test(frac) ? i : `${i}.${frac.replace(/0+$/, '')}`;
}

export function numbersIn(text: string): string[] {
  const digits = (text.match(/\d+(?:[.,]\d+)*/g) ?? []).map(canonicalNumber);
  const spelled = words(text).flatMap((w) => (w in NUMBER_WORDS ? [NUMBER_WORDS[w]!] : []));
  return [...digits, ...spelled];
}

export const numberGuard: Guard = {
  name: 'number_mismatch',
  conflict: (query, candidate) => !sameSet(numbersIn(query), numbersIn(candidate)),
};
