/**
 * The embedder runs the model's ONNX graph itself. Loaded by the built code
 * (dist/) in a child process, as the gateway loads it (transformers.js, which
 * it uses to tokenize, is an ES module that jest's CommonJS runtime cannot
 * import): its vectors must be the ones transformers.js' feature-extraction
 * pipeline gave before (test/data/embedder-reference.json) for short, long
 * (truncated) and non-ASCII texts — entries indexed then must still be found —
 * of unit length, and still semantic.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import reference from '../data/embedder-reference.json';

const root = path.resolve(__dirname, '../..');

const SCRIPT = `
const { OnnxEmbedder } = require('./dist/cache/embedding/embedder');
(async () => {
  const embedder = await OnnxEmbedder.load(require('node:path').resolve('.reflex/models'), 'all-MiniLM-L6-v2', { threads: 2 });
  const vectors = [];
  const contended = [];
  for (const text of JSON.parse(process.argv[1])) vectors.push(Array.from(await embedder.embed(text)));
  for (const text of JSON.parse(process.argv[1])) contended.push(Array.from(await embedder.embed(text, { contended: true })));
  console.log(JSON.stringify({ dim: embedder.dim, vectors, contended }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i]!, 0);

test('the embedder gives the feature-extraction pipeline’s vectors, unit length and semantic', () => {
  const out = JSON.parse(execFileSync(process.execPath, ['-e', SCRIPT, JSON.stringify(reference.texts)], { cwd: root, encoding: 'utf8', timeout: 110_000 })) as { dim: number; vectors: number[][]; contended: number[][] };
  expect(out.dim).toBe(384);
  expect(out.vectors).toHaveLength(reference.texts.length);
  expect(out.contended).toHaveLength(reference.texts.length);
  // Both sessions (two threads idle, one thread while other lookups run) give the reference vectors.
  [...out.vectors, ...out.contended].forEach((v, k) => {
    const i = k % reference.texts.length;
    expect(v).toHaveLength(384);
    expect(Math.sqrt(dot(v, v))).toBeCloseTo(1, 5);
    expect(Math.max(...v.map((x, j) => Math.abs(x - reference.vectors[i]![j]!)))).toBeLessThan(1e-5);
  });
  const [router, paraphrase, peru] = out.vectors;
  expect(dot(router!, paraphrase!)).toBeGreaterThan(dot(router!, peru!) + 0.2);
}, 120_000);

const THREADED = `
const { ThreadedEmbedder } = require('./dist/cache/embedding/threadedEmbedder');
(async () => {
  const embedder = await ThreadedEmbedder.start(require('node:path').resolve('.reflex/models'), 'all-MiniLM-L6-v2', { threads: 2 });
  const texts = JSON.parse(process.argv[1]);
  // All at once: they spread over both threads, each answered with its own vector.
  const vectors = (await Promise.all(texts.map((t, i) => embedder.embed(t, { contended: i % 2 === 0 })))).map((v) => Array.from(v));
  // A thread that dies fails what it had in hand; the next embedding starts a new one.
  const lane = embedder.lanes[0];
  const inHand = lane.embed(texts[0], false);
  await (await lane.worker).terminate();
  const failed = await inHand.then(() => 'answered', (e) => e.message);
  const after = Array.from(await lane.embed(texts[0], false));
  await embedder.close();
  console.log(JSON.stringify({ dim: embedder.dim, vectors, failed, after }));
})().catch((e) => { console.error(e); process.exit(1); });
`;

test('the threaded embedder (the gateway’s) gives the same vectors from every thread, and replaces a thread that died', () => {
  const out = JSON.parse(execFileSync(process.execPath, ['-e', THREADED, JSON.stringify(reference.texts)], { cwd: root, encoding: 'utf8', timeout: 110_000 })) as {
    dim: number;
    vectors: number[][];
    failed: string;
    after: number[];
  };
  expect(out.dim).toBe(384);
  const close = (v: number[], i: number) => expect(Math.max(...v.map((x, j) => Math.abs(x - reference.vectors[i]![j]!)))).toBeLessThan(1e-5);
  out.vectors.forEach(close);
  expect(out.failed).toMatch(/stopped|exited/);
  close(out.after, 0);
}, 120_000);
