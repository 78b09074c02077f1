/**
 * An in-process stand-in for the gateway's L2 (Milvus HAMMING search over
 * sign bits, filtered by tenant context, then full-precision cosine
 * rescoring), so the offline eval makes the decision the gateway makes.
 */
import { hamming, signBits } from '../../vectordb/signBits';
import { cosine } from '../../cache/embedding/cosine';

export interface IndexedEntry {
  id: number;
  context: string;
  text: string;
  vector: Float32Array;
  bits: Buffer;
}

export interface Scored {
  entry: IndexedEntry;
  similarity: number;
}

export class SemanticIndex {
  private readonly byContext = new Map<string, IndexedEntry[]>();
  private readonly byKey = new Map<string, IndexedEntry>();
  private nextId = 0;

  /** Adds an entry unless one with the same context and text exists (the gateway's exact key would collide too). */
  add(context: string, text: string, vector: Float32Array): IndexedEntry {
    const key = `${context}\u0000${text}`;
    const existing = this.byKey.get(key);
    if (existing) return existing;
    const entry = { id: this.nextId++, context, text, vector, bits: signBits(vector) };
    this.byKey.set(key, entry);
    const list = this.byContext.get(context) ?? [];
    list.push(entry);
    this.byContext.set(context, list);
    return entry;
  }

  /** L1: identical context and last turn is an exact hit that skips L3. */
  exact(context: string, text: string): IndexedEntry | undefined {
    return this.byKey.get(`${context}\u0000${text}`);
  }

  /** L2: hamming shortlist of `candidates`, cosine rescoring, best `topK` first. */
  search(context: string, vector: Float32Array, candidates: number, topK: number): Scored[] {
    const bits = signBits(vector);
    const pool = this.byContext.get(context) ?? [];
    const shortlist = pool
      .map((entry) => ({ entry, d: hamming(bits, entry.bits) }))
      .sort((x, y) => x.d - y.d || x.entry.id - y.entry.id)
      .slice(0, candidates);
    return shortlist
      .map(({ entry }) => ({ entry, similarity: cosine(vector, entry.vector) }))
      .sort((x, y) => y.similarity - x.similarity)
      .slice(0, topK);
  }
}
