/** The shipped verifier model (models/verifier) is the one its SHA256SUMS names (it is loaded in test/e2e/verifierModel.e2e.test.ts). */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_VERIFIER_MODELS_DIR, VERIFIER_MODEL_NAME } from '../../src/config';

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
