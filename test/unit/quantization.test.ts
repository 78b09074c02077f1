import { hamming, signBits } from '../../src/cache/vectordb/signBits';
import { cosine } from '../../src/cache/embedding/cosine';

test('sign bits are packed most significant bit first', () => {
  const v = [1, -1, 0.5, -0.1, -3, 2, 0, 7, -1, -1, -1, -1, -1, -1, -1, 1];
  expect([...signBits(v)]).toEqual([0b10100101, 0b00000001]);
});

test('a dimension not divisible by 8 is refused', () => {
  expect(() => signBits([1, 2, 3])).toThrow(/divisible by 8/);
});

test('hamming distance counts differing bits', () => {
  expect(hamming(Uint8Array.from([0b1111_0000, 0]), Uint8Array.from([0b0000_0000, 0b1]))).toBe(5);
});

test('cosine of normalised vectors is their dot product and checks dimensions', () => {
  expect(cosine([0.6, 0.8], [0.6, 0.8])).toBeCloseTo(1);
  expect(cosine([1, 0], [0, 1])).toBe(0);
  expect(() => cosine([1], [1, 0])).toThrow(/dimension/);
});
