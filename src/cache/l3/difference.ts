/**
 * Where two semantic texts differ, in whole sentences: the sentences they
 * share at the start and at the end are set aside, and what is left of each
 * is the span L3 judges (see compare.ts). A long document with a question
 * after it differs from the same document with another question only in the
 * question — that is what must be compared, not the document, which dominates
 * an embedding of the whole and, past the model's window, is all it sees.
 *
 * Shared text is byte-identical in both, so setting it aside hides no
 * difference. Cuts fall only where a sentence ends inside the shared text,
 * so each span is whole sentences and reads the same to the guards and models.
 */

export interface Difference {
  /** The query's differing sentences (the whole query when nothing is shared). */
  query: string;
  /** The candidate's differing sentences. */
  candidate: string;
  /** Shared sentences were set aside: the spans are not the whole texts. */
  trimmed: boolean;
}

const TERMINATORS = new Set(['.', '!', '?']);
const FULL_STOPS = new Set(['\u3002', '\uff01', '\uff1f']); // 。！？ end a sentence without a space after them

/**
 * A sentence ends just before `at` (after a newline, after a full-width stop,
 * or after a stop and a space), judged only from characters at `from` or later.
 */
function sentenceEndsBefore(text: string, at: number, from = 0): boolean {
  const last = text[at - 1];
  if (at - 1 < from || last === undefined) return false;
  if (last === '\n' || FULL_STOPS.has(last)) return true;
  return at - 2 >= from && /\s/.test(last) && TERMINATORS.has(text[at - 2]!);
}

export function difference(query: string, candidate: string): Difference {
  if (query === candidate) return { query, candidate, trimmed: false };
  const shorter = Math.min(query.length, candidate.length);
  let prefix = 0;
  while (prefix < shorter && query[prefix] === candidate[prefix]) prefix++;
  let suffix = 0;
  while (suffix < shorter - prefix && query[query.length - 1 - suffix] === candidate[candidate.length - 1 - suffix]) suffix++;
  // The span starts after the last sentence end inside the shared prefix...
  let start = prefix;
  while (start > 0 && !sentenceEndsBefore(query, start)) start--;
  // ...and ends at the first sentence end inside the shared suffix (judged from shared characters only).
  const shared = query.length - suffix;
  let end = shared;
  while (end < query.length && !sentenceEndsBefore(query, end, shared)) end++;
  const tail = query.length - end;
  return {
    query: query.slice(start, end).trim(),
    candidate: candidate.slice(start, candidate.length - tail).trim(),
    trimmed: start > 0 || tail > 0,
  };
}
