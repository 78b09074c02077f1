/**
 * The hand-written adversarial set (test/data/adversarial.jsonl: negation,
 * numbers, antonyms, letter-case-coded notations, entities, languages, ...)
 * through the built offline eval — the gateway's own L1/L2/L3 code with the
 * real embedding model and the shipped cross-encoder, each pair in a cache of
 * its own. No negative may be served in either verifier mode. Run as a child
 * process: transformers.js is an ES module, which jest's runtime cannot import.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

interface Result {
  scores: { fp: number; tp: number; negativeRejection: number; fpByKind: Record<string, number> };
  falsePositives: Array<{ asked: string; served: string }>;
}

function evaluate(verifier: 'guards' | 'model'): Result {
  const args = ['dist/ops/eval/offline.js', '--pairs', 'test/data/adversarial.jsonl', '--seed', '0', '--protocol', 'isolated', '--verifier', verifier, '--show-fp', '20', '--json'];
  return JSON.parse(execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 110_000, stdio: ['ignore', 'pipe', 'ignore'] }));
}

test('no adversarial negative is served in guards mode or in model mode, and model mode serves at least the same paraphrases', () => {
  const guards = evaluate('guards');
  const model = evaluate('model');
  expect(guards.falsePositives).toEqual([]);
  expect(model.falsePositives).toEqual([]);
  expect(guards.scores.negativeRejection).toBe(1);
  expect(model.scores.negativeRejection).toBe(1);
  expect(guards.scores.tp).toBeGreaterThan(0);
  expect(model.scores.tp).toBeGreaterThanOrEqual(guards.scores.tp);
}, 240_000);
