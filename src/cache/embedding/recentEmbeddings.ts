/**
 * The hit path's embedder: the embeddings of the semantic texts asked lately,
 * kept in a small LRU, so a text asked again (a retried request, the same
 * question in a conversation that differs elsewhere, a refresh) is not
 * embedded a second time. The model is deterministic for a given text, so a
 * kept vector is exactly what embedding again would give. Memory only:
 * ~1.5 KiB per entry at 384 dimensions, plus the text. Callers must not modify
 * the returned vector (none does: it is read to search, rescore and store).
 */
import { LRUCache } from 'lru-cache';
import type { WindowedEmbedder } from './embedder';

const MAX_TEXT_CHARS = 4096;

export class RecentEmbeddings implements WindowedEmbedder {
  private readonly recent: LRUCache<string, Float32Array>;

  constructor(private readonly embedder: WindowedEmbedder, capacity = 1024) {
    this.recent = new LRUCache({ max: capacity });
  }

  get dim(): number {
    return this.embedder.dim;
  }

  get id(): string {
    return this.embedder.id;
  }

  get window(): number {
    return this.embedder.window;
  }

  tokens(text: string): Promise<number> {
    return this.embedder.tokens(text);
  }

  async embed(text: string): Promise<Float32Array> {
    const kept = this.recent.get(text);
    if (kept) return kept;
    const embedding = await this.embedder.embed(text);
    if (text.length <= MAX_TEXT_CHARS) this.recent.set(text, embedding);
    return embedding;
  }
}
