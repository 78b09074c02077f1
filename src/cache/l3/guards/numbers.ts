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

const NUMBER_WORD_SET = new Set(Object.keys(NUMBER_WORDS));
export const isNumberWord = (word: string): boolean => NUMBER_WORD_SET.has(word);

/** Digits with thousands separators removed and leading zeros dropped: "1,000" = "1000", "07" = "7". */
function canonicalNumber(raw: string): string {
  const plain = raw.replace(/,(?=\d{3}\b)/g, '');
  const [int = '', frac] = plain.split('.');
  const i = int.replace(/^0+(?=\d)/, '');
  return frac === undefined || /^0*$/.test(frac) ? i : `${i}.${frac.replace(/0+$/, '')}`;
}

/**
 * Words that say what a number does: "increase by 10%" is not "increase to
 * 10%", "at least 30" is not "at most 30".
 */
const ROLES = new Set(['by', 'to', 'from', 'per', 'over', 'under', 'above', 'below', 'than', 'least', 'most', 'within', 'after', 'before', 'until', 'since']);

interface Found {
  value: string;
  /** The role word right before it, if any. */
  role?: string;
}

/** The numbers of a text in the order they appear, digits and number words alike, each with its role word. */
function numbersWithRoles(text: string): Found[] {
  const found: Found[] = [];
  let previous: string | undefined;
  for (const [token] of text.matchAll(/\d+(?:[.,]\d+)*|\p{L}+/gu)) {
    const word = token.toLowerCase();
    const value = /^\d/.test(token) ? canonicalNumber(token) : isNumberWord(word) ? NUMBER_WORDS[word] : undefined;
    if (value !== undefined) found.push({ value, ...(previous && ROLES.has(previous) ? { role: previous } : {}) });
    previous = word;
  }
  return found;
}

export function numbersIn(text: string): string[] {
  return numbersWithRoles(text).map((n) => n.value);
}

/** Both name a role for the same number, and not the same one (a side that names none is a rewording). */
function roleChanged(a: Found[], b: Found[]): boolean {
  return a.some((n, i) => n.role !== undefined && b[i]?.role !== undefined && n.role !== b[i]!.role);
}

/**
 * The same numbers, as often and in the same order. Compared as sets, "topic 2
 * … question 2" matched "topic 1 … question 1" wherever both numbers also
 * appeared elsewhere in the text (an id such as "run-1x2"), and "is 2 more than
 * 1" matched "is 1 more than 2". A paraphrase that reorders its numbers is a
 * miss, which costs a provider call; a wrong answer costs more. So is one
 * that names another role for a number ("by 10%" against "to 10%").
 */
export const numberGuard: Guard = {
  name: 'number_mismatch',
  conflict: (query, candidate) => {
    const [a, b] = [numbersWithRoles(query), numbersWithRoles(candidate)];
    return a.map((n) => n.value).join(' ') !== b.map((n) => n.value).join(' ') || roleChanged(a, b);
  },
};
