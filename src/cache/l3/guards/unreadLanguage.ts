/**
 * The embedding model (all-MiniLM-L6-v2) and the other guards read English.
 * Elsewhere a near-duplicate is not seen: "如何开启两步验证" (turn on two-step
 * verification) and "如何关闭…" (turn it off) embed at cosine 1.000, because the
 * tokenizer reads most CJK characters as one unknown token; "¿Cómo activo …?"
 * and "¿Cómo desactivo …?" at 0.982, and no guard knows Spanish prefixes. So a
 * question in another writing system, or in a Latin-script language other
 * than English, gets no semantic hit: its exact repeats are still served (L1).
 * Foreign-script words inside an English question must be the same on both
 * sides. An operator with a model and guards for other languages drops this
 * guard from REFLEX_VERIFIER_GUARDS.
 */
import type { Guard } from './guard';
import { words } from '../text';
import { dominantScript, hasEnglishFunctionWord, latinLanguage } from './language';

/**
 * Latin script in a language no list knows ("Jak włączyć …?", Polish: served
 * its opposite at 0.991) reads as foreign when it has letters English lacks
 * and none of English's function words; a terse English query ("Ferrari 488
 * GTB vs Huracan?") has neither, so it stays readable.
 */
const read = (text: string): boolean => {
  const script = dominantScript(text);
  if (script !== 'latin' && script !== 'none') return false;
  const language = latinLanguage(text);
  if (language !== '') return language === 'en';
  return !(/[^\p{ASCII}\P{L}]/u.test(text) && words(text).length >= 3 && !hasEnglishFunctionWord(text));
};

/** Words with a letter outside the Latin script, sorted: "什么" in "What does 什么 mean?". */
const foreignWords = (text: string): string =>
  words(text).filter((w) => /[^\p{Script=Latin}\p{N}\p{M}']/u.test(w)).sort().join(' ');

export function unread(query: string, candidate: string): boolean {
  return !read(query) || !read(candidate) || foreignWords(query) !== foreignWords(candidate);
}

export const unreadLanguageGuard: Guard = { name: 'unread_language', conflict: unread };
