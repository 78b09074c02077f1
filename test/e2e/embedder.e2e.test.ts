/**
 * The embedder runs the model's ONNX graph itself. Loaded by the built code
 * (dist/) in a child process, as the gateway loads it (transformers.js, which
 * it uses to tokenize, is an ES module that jest's CommonJS runtime cannot
 * import). Against test/data/embedder-reference.json, for short, long
 * (truncated) and non-ASCII texts: within quantization noise of the float32
 * vectors of the same weights (transformers.js' feature-extraction pipeline),
 * exactly the int8 graph's vectors as pinned when it was introduced (a change
 * of vectors must come with a new model id, so entries are embedded again),
 * of unit length, and still semantic.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import reference from '../data/embedder-reference.json';

const root = path.resolve(__dirname, '../..');

const SCRIPT = `
const { OnnxEmbedder } = require('./dist/cache/embedding/onnxEmbedder');
(async () => {
  const embedder = await OnnxEmbedder.load(require('node:path').resolve('.reflex/models'), 'all-MiniLM-L6-v2', { threads: 2 });
  const vectors = [];
  for (const text of JSON.parse(process.argv[1])) vectors.push(Array.from(await embedder.embed(text)));
  console.log(JSON.stringify({ dim: embedder.dim, id: embedder.id, vectors }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i]!, 0);
const pinned = (v: number[], i: number) => expect(Math.max(...v.map((x, j) => Math.abs(x - reference.int8[i]![j]!)))).toBeLessThan(1e-5);

test('the embedder gives the int8 graph’s vectors, close to the float32 ones, unit length and semantic', () => {
  const out = JSON.parse(execFileSync(process.execPath, ['-e', SCRIPT, JSON.stringify(reference.texts)], { cwd: root, encoding: 'utf8', timeout: 110_000 })) as { dim: number; id: string; vectors: number[][] };
  expect(out.dim).toBe(384);
  expect(out.id).toBe(reference.int8Id);
  expect(out.vectors).toHaveLength(reference.texts.length);
  out.vectors.forEach((v, i) => {
    expect(v).toHaveLength(384);
    expect(Math.sqrt(dot(v, v))).toBeCloseTo(1, 5);
    pinned(v, i);
    expect(dot(v, reference.vectors[i]!)).toBeGreaterThan(0.975);
  });
  const [router, paraphrase, peru] = out.vectors;
  expect(dot(router!, paraphrase!)).toBeGreaterThan(dot(router!, peru!) + 0.2);
}, 120_000);

const THREADED = `
const { ThreadedEmbedder } = require('./dist/cache/embedding/threadedEmbedder');
(async () => {
  const embedder = await ThreadedEmbedder.open(require('node:path').resolve('.reflex/models'), 'all-MiniLM-L6-v2', { threads: 1 });
  const texts = JSON.parse(process.argv[1]);
  // Not loaded yet: the model folder alone gives the dimension, window and id.
  const before = { dim: embedder.dim, window: embedder.window, id: embedder.id, started: embedder.worker !== undefined };
  // All at once: each answered with its own vector.
  const vectors = (await Promise.all(texts.map((t) => embedder.embed(t)))).map((v) => Array.from(v));
  const tokens = await embedder.tokens(texts[0]);
  // A thread that dies fails what it had in hand; the next embedding starts a new one.
  const inHand = embedder.embed(texts[0]);
  await (await embedder.worker).terminate();
  const failed = await inHand.then(() => 'answered', (e) => e.message);
  const after = Array.from(await embedder.embed(texts[0]));
  await embedder.close();
  console.log(JSON.stringify({ before, vectors, tokens, failed, after }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

test('the threaded embedder (the gateway’s) starts with its first embedding, gives the same vectors, and replaces a thread that died', () => {
  const out = JSON.parse(execFileSync(process.execPath, ['-e', THREADED, JSON.stringify(reference.texts)], { cwd: root, encoding: 'utf8', timeout: 110_000 })) as {
    before: { dim: number; window: number; id: string; started: boolean };
    vectors: number[][];
    tokens: number;
    failed: string;
    after: number[];
  };
  expect(out.before).toEqual({ dim: 384, window: 512, id: reference.int8Id, started: false });
  out.vectors.forEach(pinned);
  // "How do I reset my router password?": [CLS] how do i reset my route ##r password ? [SEP]
  expect(out.tokens).toBe(11);
  expect(out.failed).toMatch(/stopped|exited/);
  pinned(out.after, 0);
}, 120_000);
