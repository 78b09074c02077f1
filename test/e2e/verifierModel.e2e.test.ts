/**
 * The shipped cross-encoder (models/verifier), loaded by the built gateway
 * code (dist/) in a child process as the API role loads it: clear paraphrases
 * are accepted and near-misses rejected, whichever side is the cached one.
 * (transformers.js is an ES module, which jest's CommonJS runtime cannot import.)
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

// Scores each [query, cached] pair both ways with the model alone, and with the default verifier at cosine 0.99.
const SCRIPT = `
const { CrossEncoder } = require('./dist/cache/l3/crossEncoder');
const { DEFAULT_GUARDS, guardsByName } = require('./dist/cache/l3/guards');
const { DEFAULT_MODEL_FLOOR, DEFAULT_MODEL_THRESHOLD, ModelVerifier } = require('./dist/cache/l3/modelVerifier');
(async () => {
  const model = await CrossEncoder.load();
  const verifier = new ModelVerifier(DEFAULT_MODEL_FLOOR, DEFAULT_MODEL_THRESHOLD, guardsByName(DEFAULT_GUARDS), model);
  const out = [];
  for (const [a, b] of JSON.parse(process.argv[1])) {
    for (const [q, c] of [[a, b], [b, a]]) {
      out.push({ q, c, p: await model.score(q, c), served: (await verifier.verify(q, { text: c, similarity: 0.99 })).accepted });
    }
  }
  console.log(JSON.stringify({ threshold: DEFAULT_MODEL_THRESHOLD, out }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

type Decision = { q: string; c: string; p: number; served: boolean };

function decide(pairs: string[][]): { threshold: number; out: Decision[] } {
  return JSON.parse(execFileSync(process.execPath, ['-e', SCRIPT, JSON.stringify(pairs)], { cwd: root, encoding: 'utf8', timeout: 110_000 }));
}

test('the shipped model accepts clear paraphrases and, with the guards, rejects negation, number and entity swaps, both ways', () => {
  const paraphrases = [
    ['How do I reset my password?', 'How can I reset my password?'],
    // (The 2-epoch model at p >= 0.90 serves "How do I learn Python quickly?" for "What is the
    // fastest way to learn Python?" in one order only: p 0.92 / 0.80. BENCHMARKS.md lists such misses.)
    ['How do I lose weight fast?', 'How can I lose weight quickly?'],
  ];
  const swaps = [
    ['Why is the sky blue?', 'Why is the sky not blue?'],
    ['Is 3 a prime number?', 'Is 9 a prime number?'],
    ['What are the best hotels in Paris?', 'What are the best hotels in London?'],
  ];
  const { threshold, out } = decide([...paraphrases, ...swaps]);
  expect(out).toHaveLength(10);
  for (const d of out.slice(0, 4)) {
    expect(d).toMatchObject({ served: true });
    expect(d.p).toBeGreaterThanOrEqual(threshold);
  }
  for (const d of out.slice(4)) expect(d).toMatchObject({ served: false });
  // The entity swap is the model's own call, not only the guards'.
  for (const d of out.slice(8)) expect(d.p).toBeLessThan(threshold);
});
