/**
 * What the cache needs of an embedding model. The model itself runs in a
 * thread of its own (threadedEmbedder.ts); nothing here loads it, so a
 * module that only speaks of embeddings never loads ONNX Runtime.
 */

export interface Embedder {
  /** Vector length. */
  readonly dim: number;
  /** Which model made a vector: vectors of two models are never compared (entries record it). */
  readonly id: string;
  /** L2-normalised mean-pooled embedding. */
  embed(text: string): Promise<Float32Array>;
}

/**
 * An embedder that says how much of a text its model reads: the model cuts a
 * text at `window` tokens, and L3 may compare only what was read
 * (l3/compare.ts).
 */
export interface WindowedEmbedder extends Embedder {
  /** The most tokens the model reads of one text, special tokens included. */
  readonly window: number;
  /** Tokens in `text`, special tokens included, before the cut at `window`. */
  tokens(text: string): Promise<number>;
}

/**
 * Whether the model reads all of `text`. Bounds settle most texts without
 * tokenizing: a WordPiece token spans at least one character of the text as
 * the tokenizer normalises it (NFD can make up to four of one), and every
 * whitespace-separated word gives at least one token.
 */
export async function readsWhole(embedder: WindowedEmbedder, text: string): Promise<boolean> {
  const room = embedder.window - 2; // [CLS] and [SEP]
  if (text.length * 4 <= room) return true;
  if (text.split(/\s+/).filter(Boolean).length > room) return false;
  return (await embedder.tokens(text)) <= embedder.window;
}
