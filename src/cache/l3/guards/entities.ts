/**
 * Names, quoted strings and code identifiers carry the question's subject:
 * "best hotels in Paris" and "best hotels in London" are near neighbours in
 * embedding space but have different answers. Each such item found on one
 * side must also occur on the other (case-insensitively, since users do not
 * capitalise consistently).
 */
import type { Guard } from './guard';
import { STOPWORDS, stems, words } from '../text';

const QUOTED = /["“”`]([^"“”`]{1,120})["“”`]/g;
// camelCase, snake_case, dotted.paths, calls(), scope::names, --flags, file/paths.
const CODE = /^(?:[a-z]+[A-Z][\w$]*|[A-Za-z_$][\w$]*(?:(?:\.|::|->)[\w$]+)+|\w*_\w+|[\w$.]+\(\)|--?[a-z][\w-]+|\S*\/\S+)$/;
const PRONOUNS = new Set(['I', "I'm", "I've", "I'd", "I'll", 'Im', 'Ive', 'OK']);

function quoted(text: string): string[] {
  return [...text.matchAll(QUOTED)].map((m) => m[1]!.trim().toLowerCase()).filter(Boolean);
}

function rawTokens(text: string): string[] {
  return text
    .split(/\s+/)
    .map((t) => t.replace(/^[("'“‘[{]+/, '').replace(/[,;:!?"'”’]+$/, '').replace(/\.$/, ''))
    .map((t) => (t.endsWith(')') && !t.includes('(') ? t.replace(/\)+$/, '') : t))
    .filter(Boolean);
}

function codeIdentifiers(text: string): string[] {
  return rawTokens(text).filter((t) => CODE.test(t)).map((t) => t.toLowerCase());
}

/** Capitalised words not at a sentence start, and acronyms anywhere. */
function names(text: string): string[] {
  const tokens = text.split(/\s+/).filter(Boolean);
  const out: string[] = [];
  tokens.forEach((tok, i) => {
    const word = tok.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
    const sentenceStart = i === 0 || /[.?!:]["')]?$/.test(tokens[i - 1]!);
    // Title Case questions capitalise function words too; those are never names.
    if (!word || PRONOUNS.has(word) || STOPWORDS.has(word.toLowerCase())) return;
    if (/^\p{Lu}{2,}s?$/u.test(word)) out.push(word.toLowerCase()); // acronyms are not stemmed: HTTP vs HTTPS
    else if (!sentenceStart && /^\p{Lu}/u.test(word)) out.push(...stems(word));
  });
  return out;
}

/** Every salient item of `from` that `to` lacks. */
export function missingItems(from: string, to: string): string[] {
  const toLower = to.normalize('NFKC').toLowerCase();
  const toStems = new Set([...stems(to), ...words(to)]);
  const missingText = [...quoted(from), ...codeIdentifiers(from)].filter((q) => !toLower.includes(q));
  const missingNames = names(from).filter((n) => !toStems.has(n));
  return [...missingText, ...missingNames];
}

export const entityGuard: Guard = {
  name: 'entity_mismatch',
  conflict: (query, candidate) => missingItems(query, candidate).length > 0 || missingItems(candidate, query).length > 0,
};
