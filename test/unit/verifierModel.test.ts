/**
 * The shipped verifier model (models/verifier): its files match SHA256SUMS,
 * and it loads and decides a few known pairs, in both orders, at the default
 * operating point.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CrossEncoder, DEFAULT_VERIFIER_MODELS_DIR, VERIFIER_MODEL_NAME } from '../../src/cache/l3/crossEncoder';
import { DEFAULT_GUARDS, guardsByName } from '../../src/cache/l3/guards';
import { DEFAULT_MODEL_FLOOR, DEFAULT_MODEL_THRESHOLD, ModelVerifier } from '../../src/cache/l3/modelVerifier';

const dir = path.join(DEFAULT_VERIFIER_MODELS_DIR, VERIFIER_MODEL_NAME);

test('every shipped model file matches SHA256SUMS, and the ONNX weights are listed', () => {
  const lines = fs.readFileSync(path.join(dir, 'SHA256SUMS'), 'utf8').split('\n').filter(Boolean);
  const listed = lines.map((line) => {
    const [, sum, file] = /^([0-9a-f]{64}) [ *](.+)$/.exec(line) ?? [];
    expect(sum).toBeDefined();
    expect(crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, file!))).digest('hex')).toBe(sum);
    return file;
  });
  expect(listed).toEqual(expect.arrayContaining(['onnx/model_quantized.onnx', 'tokenizer.json', 'config.json']));
});

describe('the shipped cross-encoder', () => {
  let model: CrossEncoder;
  beforeAll(async () => {
    model = await CrossEncoder.load();
  }, 60_000);

  const bothWays = async (a: string, b: string) => [await model.score(a, b), await model.score(b, a)];

  test('accepts clear paraphrases, whichever side is cached', async () => {
    for (const [a, b] of [
      ['How do I reset my password?', 'How can I reset my password?'],
      ['What is the fastest way to learn Python?', 'How can I learn Python quickly?'],
    ]) {
      for (const p of await bothWays(a!, b!)) expect(p).toBeGreaterThanOrEqual(DEFAULT_MODEL_THRESHOLD);
    }
  });

  test('rejects an entity swap on its own, whichever side is cached', async () => {
    for (const p of await bothWays('What are the best hotels in Paris?', 'What are the best hotels in London?')) {
      expect(p).toBeLessThan(DEFAULT_MODEL_THRESHOLD);
    }
  });

  test('at the default operating point (with the guards), negation and number swaps are not served', async () => {
    const verifier = new ModelVerifier(DEFAULT_MODEL_FLOOR, DEFAULT_MODEL_THRESHOLD, guardsByName(DEFAULT_GUARDS), model);
    const similarity = 0.99; // as close as the embedding can say: only L3 stands between them
    for (const [a, b] of [
      ['Why is the sky blue?', 'Why is the sky not blue?'],
      ['Is 3 a prime number?', 'Is 9 a prime number?'],
      ['How do I enable 2FA?', 'How do I disable 2FA?'],
    ]) {
      expect((await verifier.verify(a!, { text: b!, similarity })).accepted).toBe(false);
      expect((await verifier.verify(b!, { text: a!, similarity })).accepted).toBe(false);
    }
    expect(await verifier.verify('How do I reset my password?', { text: 'How can I reset my password?', similarity: 0.95 })).toEqual({ accepted: true, reason: 'verified' });
  });
});
