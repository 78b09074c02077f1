/** Mean pooling as the embedder applies it to the model's token vectors (the model itself: test/e2e/embedder.e2e.test.ts). */
import { meanPooledUnit } from '../../src/cache/embedding/onnxEmbedder';

test('mean pooling counts only the tokens the mask keeps, and scales to unit length', () => {
  const hidden = Float32Array.from([3, 4, 100, 100]); // two tokens of dim 2; the second is padding
  const pooled = Array.from(meanPooledUnit(hidden, 2, 2, BigInt64Array.from([1n, 0n])));
  expect(pooled[0]).toBeCloseTo(0.6, 6);
  expect(pooled[1]).toBeCloseTo(0.8, 6);
  const both = Array.from(meanPooledUnit(Float32Array.from([1, 0, 0, 1]), 2, 2, BigInt64Array.from([1n, 1n])));
  expect(both[0]).toBeCloseTo(Math.SQRT1_2, 6);
  expect(both[1]).toBeCloseTo(Math.SQRT1_2, 6);
});
