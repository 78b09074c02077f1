/**
 * Names, quoted strings and code identifiers carry the question's subject:
 * "best hotels in Paris" and "best hotels in London" are near neighbours in
 * embedding space but have different answers. Each such item found on one
 * side must also occur on the other. Names and prose in double quotes match
 * case-insensitively, since users do not capitalise consistently; where case
 * changes meaning it must match exactly: code in backticks, identifiers with
 * inner capitals (getElementById vs getElementByID), regex escapes (\d vs
 * \D), and units after a number (5 MB vs 5 Mb, 10 mA vs 10 MA). The embedding
 * model is uncased, so these pairs embed identically (cosine 1.000): the
 * notations whose letters are case-coded — regex character classes ([a-z] vs
 * [A-Z]), format directives (%m month vs %M minute), date patterns (yyyy-MM-dd
 * vs yyyy-mm-dd, HH:mm vs hh:mm) and short command-line flags (ls -l vs ls -L)
 * — are matched exactly wherever they appear, since only this guard sees case.
 * So are operators (==, ===, !=, &&, ->), in order.
 */
import type { Guard } from './guard';
import { STOPWORDS, stems, words } from '../text';

const QUOTED = /["“”]([^"“”`]{1,120})["“”]/g;
const BACKTICKED = /`([^`]{1,120})`/g;
// camelCase, snake_case, dotted.paths, calls(), scope::names, --flags, file/paths, regex escapes (\d, [\w.]+).
const CODE = /^(?:[a-z]+[A-Z][\w$]*|[A-Za-z_$][\w$]*(?:(?:\.|::|->)[\w$]+)+|\w*_\w+|[\w$.]+\(\)|--?[a-z][\w-]+|\S*\/\S+|\S*\\[A-Za-z]\S*)$/;
/** Case is part of the identifier: a capital after the first character, or a regex escape. */
const CASE_MATTERS = /^.+\p{Lu}|\\[A-Za-z]/u;
// A unit right after a number, where case changes the quantity (bit/byte, milli/mega).
const UNIT = /\d\s?(k[bB]|K[bB]|[mM][bB]|[gG][bB]|[tT][bB]|[mM][AWVgs]|[mM]Hz|mm|Mm|[bB])(?![\p{L}\p{N}])/gu;
/** Case-coded notations, recognised on the raw token (before brackets are trimmed). */
const CASE_CODED = [
  /\[[^\]\s]*\p{L}[^\]\s]*\]/u, // a regex character class with letters: [a-z], [^A-Z0-9_]
  /%[-_0#^]?\p{L}/u, // strftime / printf directives: %m, %-d, %Y
  /^(?:y{2,4}|M{1,4}|d{1,4}|[Hh]{1,2}|m{1,2}|s{1,2}|S{1,3}|a)(?:[-/:. T](?:y{2,4}|M{1,4}|d{1,4}|[Hh]{1,2}|m{1,2}|s{1,2}|S{1,3}|a))+$/, // date patterns
  /^-\p{L}{1,3}$/u, // short flags: -l, -R, -rf
];
const PRONOUNS = new Set(['I', "I'm", "I've", "I'd", "I'll", 'Im', 'Ive', 'OK']);

function quoted(text: string): string[] {
  return [...text.matchAll(QUOTED)].map((m) => m[1]!.trim().toLowerCase()).filter(Boolean);
}

function backticked(text: string): string[] {
  return [...text.matchAll(BACKTICKED)].map((m) => m[1]!.trim()).filter(Boolean);
}

function units(text: string): string[] {
  return [...text.matchAll(UNIT)].map((m) => m[1]!);
}

function rawTokens(text: string): string[] {
  return text
    .split(/\s+/)
    .map((t) => t.replace(/^[("'“‘[{]+/, '').replace(/[,;:!?"'”’]+$/, '').replace(/\.$/, ''))
    .map((t) => (t.endsWith(')') && !t.includes('(') ? t.replace(/\)+$/, '') : t))
    .filter(Boolean);
}

/** Whitespace tokens without trailing sentence punctuation, brackets kept (they are part of a character class). */
function caseCoded(text: string): string[] {
  return text
    .split(/\s+/)
    .map((t) => t.replace(/[,;!?"'”’]+$/, '').replace(/[.:]$/, ''))
    .filter((t) => CASE_CODED.some((re) => re.test(t)));
}

/** Code tokens, split by whether their case must match exactly. */
function codeIdentifiers(text: string): { exact: string[]; folded: string[] } {
  const rest = text.replace(BACKTICKED, ' ');
  const code = rawTokens(rest).filter((t) => CODE.test(t));
  const exact = [...caseCoded(rest), ...code.filter((t) => CASE_MATTERS.test(t))];
  return { exact, folded: code.filter((t) => !CASE_MATTERS.test(t)).map((t) => t.toLowerCase()) };
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
  const toExact = to.normalize('NFKC');
  const toLower = toExact.toLowerCase();
  const toStems = new Set([...stems(to), ...words(to)]);
  const code = codeIdentifiers(from);
  const missingText = [...quoted(from), ...code.folded].filter((q) => !toLower.includes(q));
  const missingExact = [...backticked(from), ...code.exact].filter((q) => !toExact.includes(q));
  const missingNames = names(from).filter((n) => !toStems.has(n));
  // A unit only conflicts with the same unit in another case: "5 MB" vs "5 megabytes" is left to the model.
  const toUnits = units(to);
  const missingUnits = units(from).filter((u) => !toUnits.includes(u) && toUnits.some((v) => v.toLowerCase() === u.toLowerCase()));
  return [...missingText, ...missingExact, ...missingNames, ...missingUnits];
}

/**
 * Comparison and logic operators in order: "== and ===" is not "= and ==".
 * Words around them embed alike and the tokenizers drop the symbols. A "!"
 * counts only before "=": "Thanks!" is punctuation.
 */
export function operators(text: string): string[] {
  return text.match(/!=+|[=<>&|]+/g) ?? [];
}

export const entityGuard: Guard = {
  name: 'entity_mismatch',
  conflict: (query, candidate) =>
    missingItems(query, candidate).length > 0 || missingItems(candidate, query).length > 0 || operators(query).join(' ') !== operators(candidate).join(' '),
};
