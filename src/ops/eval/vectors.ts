/** Embeddings of earlier runs, by text, in a JSON file (base64 float32): sweeps and simulations need not embed thousands of texts again. */
import fs from 'node:fs';

/** Embeddings of earlier runs (same embedding model!), so sweeps over verifiers do not re-embed thousands of texts. */
export function readVectors(file?: string): Map<string, Float32Array> {
  if (!file || !fs.existsSync(file)) return new Map();
  const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
  return new Map(Object.entries(stored).map(([text, b64]) => {
    const buf = Buffer.from(b64, 'base64');
    return [text, new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4)];
  }));
}

export function writeVectors(file: string, vectors: Map<string, Float32Array>): void {
  const out: Record<string, string> = {};
  for (const [text, v] of vectors) out[text] = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  fs.writeFileSync(file, JSON.stringify(out));
}

