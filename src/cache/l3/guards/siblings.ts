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

const GROUPS = [
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
  // "Can I drink water during a fast?" / "… after a fast?" (0.960, model verifier).
  'before during after',
  'spring summer autumn winter',
  'monday tuesday wednesday thursday friday saturday sunday',
  'january february march april june july august september october november december',
  'red orange yellow green blue purple pink brown grey gray black white',
  'dog cat horse rabbit hamster bird parrot fish snake',
  'first second third fourth fifth sixth seventh eighth ninth tenth',
];

/**
 * How many and how often: "are all mushrooms poisonous" / "are most …"
 * (0.967), "always" / "usually" safe (0.987). Words that mean the same
 * (all/every/each, some/any) are one member, joined by "=". A guard of its
 * own, asked by the model verifier only over the guards' floor: below it,
 * the cross-encoder reads "the most popular" as no quantifier (QQP: 5
 * duplicates vetoed there for 2 non-duplicates).
 */
const QUANTIFIERS = ['all=every=each most many some=any=several few', 'always usually often sometimes rarely=seldom'];

/** A guard over groups of words: one member of a group on each side only is a conflict. */
function groupGuard(name: string, groups: string[], modelReadsIt = false): Guard {
  // Each word's group and member ("every" is the member "all").
  const memberOf = new Map(
    groups.flatMap((group, g) => group.split(' ').flatMap((member, m) => member.split('=').map((w) => [stem(w), `${g}:${m}`] as const))),
  );
  const membersIn = (text: string) => new Set(stems(text).flatMap((w) => memberOf.get(w) ?? []));
  const groupOf = (member: string) => member.slice(0, member.indexOf(':'));
  const conflict = (query: string, candidate: string) => {
    const [a, b] = [membersIn(query), membersIn(candidate)];
    const onlyB = new Set([...b].filter((m) => !a.has(m)).map(groupOf));
    return onlyB.size > 0 && [...a].some((m) => !b.has(m) && onlyB.has(groupOf(m)));
  };
  return { name, conflict, ...(modelReadsIt ? { modelReadsIt } : {}) };
}

export const siblingGuard = groupGuard('sibling_mismatch', GROUPS);
export const quantifierGuard = groupGuard('quantifier_mismatch', QUANTIFIERS, true);
export const siblingSwap = siblingGuard.conflict;
