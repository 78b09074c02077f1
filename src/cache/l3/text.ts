/**
 * Shared text helpers for the L3 guards. Everything here is deliberately
 * crude and deterministic: the guards only have to notice that two questions
 * differ in a way the embedding glosses over, never to understand them.
 */

/**
 * Every guard reads the same two texts, one guard after another: the last
 * few results of a reading are kept, so each text is read once per
 * candidate. Results are shared: callers must not change them.
 */
const RECENT = 8;
export function lastFew<T>(compute: (text: string) => T): (text: string) => T {
  const cache = new Map<string, T>();
  return (text) => {
    if (cache.has(text)) return cache.get(text)!;
    const found = compute(text);
    cache.set(text, found);
    if (cache.size > RECENT) cache.delete(cache.keys().next().value!);
    return found;
  };
}

/** Lower-cased word tokens; apostrophes stay inside so "don't" is one token. */
export function tokens(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().replace(/’/g, "'").match(/[\p{L}\p{N}]+(?:'[\p{L}]+)*/gu) ?? [];
}

/**
 * `tokens` of a whole question or candidate, kept for the guards that follow.
 * A one-off reading of a part (a sentence, a rewritten copy) calls `tokens`,
 * so it does not push the two texts out of the last few kept.
 */
export const words: (text: string) => readonly string[] = lastFew(tokens);

/**
 * A light suffix stripper so "disables", "disabled" and "disabling" meet
 * "disable". Not a real stemmer: it only has to make inflections collide.
 */
export function stem(word: string): string {
  let w = word.replace(/'s$/, '');
  // -ed from five letters on: "loved" and "hated" met nothing in the opposites list before.
  if (/ing$/.test(w) && w.length > 5) w = w.slice(0, -3);
  else if (/ed$/.test(w) && w.length > 4) w = w.slice(0, -2);
  else if (/ies$/.test(w) && w.length > 4) w = w.slice(0, -3) + 'y';
  else if (/[^s]s$/.test(w) && w.length > 3) w = w.slice(0, -1);
  if (/e$/.test(w) && w.length > 3) w = w.slice(0, -1);
  return w;
}

export const stems: (text: string) => readonly string[] = lastFew((t) => words(t).map(stem));

/** Function words: ignored when deciding which content two questions share. */
export const STOPWORDS = new Set(
  (
    'a an the and or but if of to in on at by for with about as into from than then so do does did done doing ' +
    'i me my mine we us our you your he him his she her it its they them their this that these those there here ' +
    'is are was were be been being am has have had having can could will would shall should may might must ' +
    'what which who whom whose when where why how whats hows whos ' +
    'some any all each every much many more most such very just also too only own same other another ' +
    'one ones thing things way ways get got getting go going make made really quite please'
  ).split(' '),
);
