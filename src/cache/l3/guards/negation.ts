/**
 * "How do I stop X" and "Why can't I stop X" embed close together; the
 * presence of a negation on one side only flips what a good answer says.
 */
import type { Guard } from './guard';
import { words } from '../text';

const NEGATORS = new Set([
  'not', 'no', 'never', 'none', 'nobody', 'nothing', 'neither', 'nor', 'nowhere', 'cannot', 'without',
  // Quora-style spellings without the apostrophe.
  'dont', 'doesnt', 'didnt', 'cant', 'couldnt', 'wouldnt', 'shouldnt', 'isnt', 'arent', 'wasnt', 'werent',
  'havent', 'hasnt', 'hadnt', 'wont', 'aint',
]);

export function isNegated(text: string): boolean {
  return words(text).some((w) => NEGATORS.has(w) || w.endsWith("n't"));
}

export const negationGuard: Guard = {
  name: 'negation_mismatch',
  conflict: (query, candidate) => isNegated(query) !== isNegated(candidate),
};
