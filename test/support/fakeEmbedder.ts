/**
 * A stand-in embedding model for unit tests of one module: a word is a token
 * (plus [CLS] and [SEP]), the window is `window` tokens, and a text's vector
 * counts its letters (so texts with the same letters embed alike).
 */
import type { WindowedEmbedder } from '../../src/cache/embedding/embedder';

export function fakeEmbedder(window = 512): WindowedEmbedder & { embedded: string[] } {
  const embedded: string[] = [];
  return {
    dim: 26,
    id: 'letters',
    window,
    embedded,
    tokens: async (text) => text.split(/\s+/).filter(Boolean).length + 2,
    embed: async (text) => {
      embedded.push(text);
      const v = new Float32Array(26);
      for (const ch of text.toLowerCase()) if (ch >= 'a' && ch <= 'z') v[ch.charCodeAt(0) - 97]! += 1;
      const norm = Math.hypot(...v) || 1;
      return v.map((x) => x / norm);
    },
  };
}
