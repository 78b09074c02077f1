/**
 * Labelled question pairs for evaluation: `{"a","b","label"}` per line, plain
 * or gzipped, optionally with a `kind` and the conversation context
 * (`system_a`/`system_b`, `history_a`/`history_b`) that the gateway keys on.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';

export interface ChatTurn {
  role: 'user' | 'assistant';
  content: string;
}

export interface Pair {
  a: string;
  b: string;
  label: 0 | 1;
  kind?: string;
  system_a?: string;
  system_b?: string;
  history_a?: ChatTurn[];
  history_b?: ChatTurn[];
}

export function loadPairs(file: string): Pair[] {
  const raw = fs.readFileSync(file);
  const text = file.endsWith('.gz') ? zlib.gunzipSync(raw).toString('utf8') : raw.toString('utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => parsePair(line, `${file}:${i + 1}`));
}

/** The 0-based line numbers of one slice ("tune", "eval") in a splits.json (training/verifier/split.py). */
export function loadSplit(file: string, name: string): number[] {
  const splits = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  const indices = splits[name];
  if (!Array.isArray(indices) || !indices.every((i) => Number.isInteger(i) && i >= 0)) {
    throw new Error(`${file}: no slice "${name}" (expected an array of 0-based line numbers)`);
  }
  return indices as number[];
}

function parsePair(line: string, where: string): Pair {
  const p = JSON.parse(line) as Partial<Pair>;
  if (typeof p.a !== 'string' || typeof p.b !== 'string' || (p.label !== 0 && p.label !== 1)) {
    throw new Error(`${where}: expected {"a": string, "b": string, "label": 0|1}`);
  }
  return p as Pair;
}

/** mulberry32: a tiny seeded PRNG, so a sample is the same on every machine. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  const rand = prng(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export interface SampleOptions {
  /** Shuffle seed; 0 keeps file order (hand-written sets). */
  seed: number;
  /** Pairs skipped after the shuffle: `--offset 3000` gives a slice disjoint from the first 3000. */
  offset: number;
  limit?: number;
}

export function sample(pairs: readonly Pair[], opts: SampleOptions): Pair[] {
  const ordered = opts.seed === 0 ? [...pairs] : shuffled(pairs, opts.seed);
  return ordered.slice(opts.offset, opts.limit === undefined ? undefined : opts.offset + opts.limit);
}

/** The chat request the gateway would receive for one side of a pair. */
export function chatMessages(text: string, system?: string, history: ChatTurn[] = []): Array<{ role: string; content: string }> {
  return [...(system === undefined ? [] : [{ role: 'system', content: system }]), ...history, { role: 'user', content: text }];
}

/**
 * For the corpus protocol: drops pairs whose `b` is, word for word and in the
 * same conversation, another pair's stored `a`. Quora repeats questions across
 * pairs; asking one of them is an L1 exact hit on the identical question,
 * correct by definition, and would otherwise be scored as "another entry's
 * answer". What remains measures L2/L3.
 */
export function withoutCrossExactRepeats(pairs: readonly Pair[]): Pair[] {
  const side = (text: string, system?: string, history?: ChatTurn[]) => JSON.stringify([text, system ?? null, history ?? []]);
  const stored = new Set(pairs.map((p) => side(p.a, p.system_a, p.history_a)));
  return pairs.filter((p) => side(p.b, p.system_b, p.history_b) === side(p.a, p.system_a, p.history_a) || !stored.has(side(p.b, p.system_b, p.history_b)));
}
