/**
 * Terms of one kind that are never each other's rewording: "the area of a
 * circle with radius 5" against "… diameter 5" (cosine 0.965, over the
 * floor), "a table at 7pm tonight" against "… tomorrow" (0.964), "seasons"
 * against "episodes" of a show and "copy and paste" against "cut and paste"
 * (0.92 and 0.89, served by the model verifier). Opposites have their own
 * guard (antonyms.ts); these are siblings. A conflict needs a member of a
 * group on one side only and another member on the other side only.
 */
import type { Guard } from './guard';
import { stem, stems } from '../text';

const GROUPS: string[][] = [
  'radius diameter circumference perimeter area volume',
  'mean median mode variance',
  'precision recall accuracy',
  'sensitivity specificity',
  'derivative integral',
  'sin cos tan sine cosine tangent',
  'stack queue heap',
  'row column',
  'process thread coroutine',
  'copy cut',
  'undo redo',
  'season episode chapter',
  'username password email',
  'breakfast lunch dinner',
  'morning afternoon evening night',
  'yesterday today tonight tomorrow',
  'spring summer autumn winter',
  'monday tuesday wednesday thursday friday saturday sunday',
  'january february march april june july august september october november december',
  'red orange yellow green blue purple pink brown grey gray black white',
  'dog cat horse rabbit hamster bird parrot fish snake',
  'first second third fourth fifth sixth seventh eighth ninth tenth',
].map((g) => g.split(' ').map(stem));

/** Each term's group. */
const GROUP_OF = new Map(GROUPS.flatMap((group, i) => group.map((w) => [w, i] as const)));

/** The groups of the terms one side has and the other lacks. */
function groupsOnlyIn(own: Set<string>, other: Set<string>): Set<number> {
  return new Set([...own].flatMap((w) => (other.has(w) ? [] : (GROUP_OF.get(w) ?? []))));
}

export function siblingSwap(query: string, candidate: string): boolean {
  const a = new Set(stems(query));
  const b = new Set(stems(candidate));
  const onlyB = groupsOnlyIn(b, a);
  return onlyB.size > 0 && [...groupsOnlyIn(a, b)].some((g) => onlyB.has(g));
}

export const siblingGuard: Guard = { name: 'sibling_mismatch', conflict: siblingSwap };
