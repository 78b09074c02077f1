/**
 * "When did Lincoln die?" and "How did Lincoln die?" share every other word;
 * so do "Where is the Great Barrier Reef?" and "What is …?". The question
 * word names what the answer is: a time, a place, a reason, a person. Each
 * side's kinds must be the same set when both open with a question word.
 * Only the four words with one meaning count; "how" and "what" name no kind
 * ("What's the way to reverse a string" is "How do I reverse a string"),
 * and "what year" or "how come" are read as the kind they name. Asked by the
 * model verifier only at or over the guards' floor.
 */
import type { Guard } from './guard';
import { tokens } from '../text';

const KINDS: Record<string, string> = { when: 'time', where: 'place', why: 'reason', who: 'person', whom: 'person', whose: 'person' };
/** Two-word openings that ask for one of those kinds. */
const PHRASES: Array<[RegExp, string]> = [
  [/^(?:what|which) (?:year|date|day|month|century|decade|time)\b|^how long ago\b/, 'time'],
  [/^how come\b|^for what reason\b/, 'reason'],
];
const ASKS = new Set(['who', 'whom', 'whose', 'when', 'where', 'why', 'how', 'what', 'which']);

/**
 * Only the word that opens a sentence asks: "the app crashes when I open it"
 * and "what happens when …" use "when" as a conjunction.
 */
function kinds(text: string): { asks: boolean; kinds: Set<string> } {
  const found = new Set<string>();
  let asks = false;
  for (const sentence of text.split(/[.?!;:\n]+/)) {
    const ws = tokens(sentence);
    if (!ws[0] || !ASKS.has(ws[0])) continue;
    asks = true;
    const kind = KINDS[ws[0]] ?? PHRASES.find(([re]) => re.test(ws.slice(0, 3).join(' ')))?.[1];
    if (kind) found.add(kind);
  }
  return { asks, kinds: found };
}

export const questionWordGuard: Guard = {
  name: 'question_mismatch',
  modelReadsIt: true,
  conflict: (query, candidate) => {
    const [a, b] = [kinds(query), kinds(candidate)];
    if (!a.asks || !b.asks) return false;
    return a.kinds.size !== b.kinds.size || [...a.kinds].some((k) => !b.kinds.has(k));
  },
};
