/**
 * The embedder runs the model's ONNX graph itself (no transformers.js
 * pipeline). Loaded by the built code (dist/) in a child process, as the
 * gateway loads it (transformers.js is an ES module, which jest's CommonJS
 * runtime cannot import): its vectors must be the pipeline's for short, long
 * (truncated) and non-ASCII texts, of unit length, and still semantic.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

const SCRIPT = `
const { TransformersEmbedder } = require('./dist/cache/embedding/embedder');
const { cosine } = require('./dist/cache/embedding/cosine');
(async () => {
  const [models, name] = [require('node:path').resolve('.reflex/models'), 'all-MiniLM-L6-v2'];
  const embedder = await TransformersEmbedder.load(models, name, { threads: 2 });
  const { pipeline, env } = await import('@xenova/transformers');
  env.localModelPath = models;
  env.allowRemoteModels = false;
  const extract = await pipeline('feature-extraction', name, { quantized: true });
  const texts = JSON.parse(process.argv[1]);
  const vectors = [];
  const diffs = [];
  for (const text of texts) {
    const ours = await embedder.embed(text);
    const theirs = (await extract(text, { pooling: 'mean', normalize: true })).data;
    diffs.push(Math.max(...ours.map((v, i) => Math.abs(v - theirs[i]))));
    vectors.push(ours);
  }
  console.log(JSON.stringify({
    dim: embedder.dim,
    lengths: vectors.map((v) => v.length),
    norms: vectors.map((v) => Math.hypot(...v)),
    diffs,
    paraphrase: cosine(vectors[0], vectors[1]),
    unrelated: cosine(vectors[0], vectors[2]),
  }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

test('the embedder gives the feature-extraction pipeline’s vectors, unit length and semantic', () => {
  const texts = [
    'How do I reset my router password?',
    'how can i reset the password of my router',
    'What is the capital of Peru?',
    'Wie setze ich das Passwort meines Routers zurück? 🔐',
    `Explain this log: ${'error 503 upstream timed out '.repeat(120)}`, // over 512 tokens: truncated
    'x',
  ];
  const out = JSON.parse(execFileSync(process.execPath, ['-e', SCRIPT, JSON.stringify(texts)], { cwd: root, encoding: 'utf8', timeout: 110_000 }));
  expect(out.dim).toBe(384);
  expect(out.lengths).toEqual(texts.map(() => 384));
  for (const norm of out.norms) expect(norm).toBeCloseTo(1, 5);
  for (const diff of out.diffs) expect(diff).toBeLessThan(1e-5);
  expect(out.paraphrase).toBeGreaterThan(out.unrelated + 0.2);
}, 120_000);
