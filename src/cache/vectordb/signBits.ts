/**
 * Binary quantization: one bit per dimension, set when the component is
 * positive, packed most-significant-bit first (Milvus' BINARY_VECTOR layout).
 * HAMMING distance between these approximates angular distance, cheaply; the
 * full-precision vectors rescore the shortlist afterwards.
 */
export function signBits(vector: ArrayLike<number>): Buffer {
  if (vector.length % 8 !== 0) throw new Error(`binary vectors need a dimension divisible by 8, got ${vector.length}`);
  const out = Buffer.alloc(vector.length / 8);
  for (let i = 0; i < vector.length; i++) {
    if (vector[i]! > 0) out[i >> 3]! |= 0x80 >> (i & 7);
  }
  return out;
}

export function hamming(a: Uint8Array, b: Uint8Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    let x = a[i]! ^ b[i]!;
    while (x) {
      x &= x - 1;
      d++;
    }
  }
  return d;
}
