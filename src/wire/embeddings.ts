/**
 * The embeddings endpoint's wire shapes (POST /v1/embeddings) and the
 * float32 codec behind `encoding_format: base64` (little-endian float32
 * bytes, as OpenAI sends them).
 */

/** One input item: a string, or a list of token ids. */
export type EmbeddingItem = string | number[];

export interface EmbeddingsRequest {
  model: string;
  input: EmbeddingItem | EmbeddingItem[];
  dimensions?: number;
  encoding_format?: 'float' | 'base64';
  [field: string]: unknown;
}

export interface EmbeddingDatum {
  object: 'embedding';
  index: number;
  embedding: number[] | string;
}

export interface EmbeddingsResponse {
  object: 'list';
  data: EmbeddingDatum[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
  [field: string]: unknown;
}

/** The request's input as a list of items, in order (a single string or token list is one item). */
export function inputItems(input: EmbeddingsRequest['input']): EmbeddingItem[] {
  if (typeof input === 'string') return [input];
  if (input.length > 0 && input.every((x) => typeof x === 'number')) return [input as number[]];
  return input as EmbeddingItem[];
}

export function vectorToBase64(vector: Float32Array): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((v, i) => bytes.writeFloatLE(v, i * 4));
  return bytes.toString('base64');
}

export function vectorFromBase64(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length % 4 !== 0) throw new Error('a base64 embedding must be whole float32 values');
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4);
  return out;
}

/** A provider datum in either encoding, as float32 (what OpenAI computes and what we store). */
export const datumVector = (embedding: number[] | string): Float32Array =>
  typeof embedding === 'string' ? vectorFromBase64(embedding) : Float32Array.from(embedding);
