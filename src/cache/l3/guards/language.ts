/**
 * A cached English answer must not be served to a Spanish question, even
 * when a multilingual-ish embedding puts the two close. Two signals: the
 * dominant writing system, then, for Latin script, the language whose most
 * frequent function words the text uses.
 */
import type { Guard } from './guard';
import { lastFew, words } from '../text';

const SCRIPTS: Array<[string, RegExp]> = [
  ['latin', /\p{Script=Latin}/u], ['cyrillic', /\p{Script=Cyrillic}/u], ['greek', /\p{Script=Greek}/u],
  ['arabic', /\p{Script=Arabic}/u], ['hebrew', /\p{Script=Hebrew}/u], ['devanagari', /\p{Script=Devanagari}/u],
  ['han', /\p{Script=Han}/u], ['kana', /[\p{Script=Hiragana}\p{Script=Katakana}]/u], ['hangul', /\p{Script=Hangul}/u],
  ['thai', /\p{Script=Thai}/u],
];

export const dominantScript = lastFew((text: string): string => {
  const counts = new Map<string, number>();
  for (const ch of text) {
    // ASCII is decided without the Unicode tests (it runs on the hit path, per candidate).
    const script = ch < '\u0080' ? (/[A-Za-z]/.test(ch) ? 'latin' : undefined) : SCRIPTS.find(([, re]) => re.test(ch))?.[0];
    if (script) counts.set(script, (counts.get(script) ?? 0) + 1);
  }
  // Japanese mixes kanji with kana: any kana makes it Japanese, not Chinese.
  if ((counts.get('kana') ?? 0) > 0) return 'kana';
  return [...counts].sort((x, y) => y[1] - x[1])[0]?.[0] ?? 'none';
});

// Frequent function words that are rare in English text (no one-letter words: "a" is English
// too), and letters English does not use.
const FUNCTION_WORDS: Record<string, string[] | Set<string>> = {
  en: ('the is are was were what how why do does did can of to and in my i you with for which who has have an ' +
    'from after on at it this that be will would should or not if there your some as by when where get any').split(' '),
  es: 'el la los las es qué cómo por para con un una del mi puedo se en de que cuál dónde cuándo está muy hoy tiene hay son cuánto cuántos cuántas'.split(' '),
  fr: 'le la les est quoi comment pourquoi pour avec une des du mon je et dans de que qui quel quelle ce sont il fait'.split(' '),
  de: 'der die das ist was wie warum für mit ein eine und ich mein nicht zu den im von wo wer sind'.split(' '),
  it: 'il lo la gli è che come perché per con una uno del mio di non sono qual cosa'.split(' '),
  pt: 'os é que como por para com uma um meu eu não em qual onde'.split(' '),
  nl: 'de het een is wat hoe waarom voor met ik mijn en niet van op zijn'.split(' '),
  // Written in plain ASCII, so no letter gives them away.
  id: 'yang dan di ke dari untuk dengan cara bagaimana apa apakah tidak ini itu saya bisa'.split(' '),
  sw: 'ya wa na kwa jinsi gani nini hii ni kuwa za la'.split(' '),
  tl: 'ang ng sa mga paano ano ba ko ako hindi'.split(' '),
};
for (const lang of Object.keys(FUNCTION_WORDS)) FUNCTION_WORDS[lang] = new Set(FUNCTION_WORDS[lang]);
const LETTERS: Record<string, RegExp> = { es: /[¿¡ñáíóú]/g, fr: /[çœèêëîûà]/g, de: /[ßäöü]/g, pt: /[ãõ]/g };

/** Whether any of the text's words is a frequent English function word ("what's" read as "what"). */
export const hasEnglishFunctionWord = (text: string): boolean =>
  words(text).some((w) => (FUNCTION_WORDS.en as Set<string>).has(w.replace(/'s$/, '')));

/** Best-scoring language, or '' when the text gives no clear winner. */
export const latinLanguage = lastFew((text: string): string => {
  const ws = words(text);
  const scores = Object.entries(FUNCTION_WORDS)
    .map(([lang, list]) => [lang, ws.filter((w) => (list as Set<string>).has(w)).length + (text.match(LETTERS[lang] ?? /$^/g)?.length ?? 0)] as const)
    .sort((x, y) => y[1] - x[1]);
  const [best, second] = scores;
  return best && best[1] >= 2 && best[1] > (second?.[1] ?? 0) ? best[0] : '';
});

export function differentLanguage(query: string, candidate: string): boolean {
  const sa = dominantScript(query);
  const sb = dominantScript(candidate);
  if (sa !== sb) return sa !== 'none' && sb !== 'none';
  if (sa !== 'latin') return false;
  const la = latinLanguage(query);
  const lb = latinLanguage(candidate);
  return la !== '' && lb !== '' && la !== lb;
}

export const languageGuard: Guard = { name: 'language_mismatch', conflict: differentLanguage };
