/**
 * Numbers that differ ("24 hours" vs "1 hour", "iPhone 5" vs "iPhone 6",
 * "$200" vs "$250") change the answer, yet barely move a sentence embedding.
 */
import type { Guard } from './guard';

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

/** The numbers of a text in the order they appear, digits and number words alike. */
export function numbersIn(text: string): string[] {
  const found: string[] = [];
  for (const [token] of text.matchAll(/\d+(?:[.,]\d+)*|\p{L}+/gu)) {
    if (/^\d/.test(token)) found.push(canonicalNumber(token));
    else if (token.toLowerCase() in NUMBER_WORDS) found.push(NUMBER_WORDS[token.toLowerCase()]!);
  }
  return found;
}

/**
 * The same numbers, as often and in the same order. Compared as sets, "topic 2
 * … question 2" matched "topic 1 … question 1" wherever both numbers also
 * appeared elsewhere in the text (an id such as "run-1x2"), and "is 2 more than
 * 1" matched "is 1 more than 2". A paraphrase that reorders its numbers is a
 * miss, which costs a provider call; a wrong answer costs more.
 */
export const numberGuard: Guard = {
  name: 'number_mismatch',
  conflict: (query, candidate) => numbersIn(query).join(' ') !== numbersIn(candidate).join(' '),
};
