/**
 * An answer to "best restaurants in San Francisco" does not answer "best
 * hotpot restaurants in San Francisco": a qualifier added on one side only
 * narrows the question. We flag it when one side has content words the other
 * lacks and the other has nothing of its own that could be a reworded
 * counterpart (a synonym swap leaves unmatched words on both sides).
 */
import type { Guard } from './guard';
import { STOPWORDS, stems } from '../text';

function contentStems(text: string): Set<string> {
  return new Set(stems(text).filter((w) => !STOPWORDS.has(w) && !/^\d/.test(w)));
}

export function addedDetail(query: string, candidate: string): boolean {
  const a = contentStems(query);
  const b = contentStems(candidate);
  const onlyA = [...a].filter((w) => !b.has(w)).length;
  const onlyB = [...b].filter((w) => !a.has(w)).length;
  return (onlyA === 0) !== (onlyB === 0);
}

export const detailGuard: Guard = { name: 'added_detail', conflict: addedDetail };
