/**
 * L2 + L3: find a cached entry that answers the same question in other words.
 * Sign bits of the query embedding shortlist candidates in Milvus (HAMMING,
 * filtered by tenant and context); their stored full-precision embeddings
 * rescore the shortlist; the verifier must accept the best before it is served.
 */
import { signBits } from '../vectordb/signBits';
import { Entry } from '../storage/entry';
import type { Expiry } from '../storage/expiry';
import type { EntryAddress, VectorIndex } from '../vectordb/index';
import { cosine } from '../embedding/cosine';
import type { TextComparison } from '../l3/compare';
import { Verifier } from '../l3/verifier';

export interface SemanticQuery {
  tenant: string;
  context: string;
  text: string;
  embedding: Float32Array;
  /** Per-request similarity floor for the verifier (X-Reflex-Threshold). */
  threshold?: number;
}

export interface SemanticHit {
  entry: Entry;
  /** Full-precision cosine: of the whole texts in ranking; of what L3 compared (compare.ts) in a hit. */
  similarity: number;
}

/** Where candidates are loaded from: L1 in the gateway (memory, then the entry file); a Map in the offline eval. */
export interface EntrySource {
  load(tenant: string, key: string): Promise<Entry | undefined>;
  /**
   * A copy in memory, even one past its revalidation: enough to rank by (a
   * key's question, context and vector only change with a new model, which
   * the candidate check sees), so a shortlist costs no storage reads. The
   * candidate L3 accepts is loaded again before it is served.
   */
  inMemory?(tenant: string, key: string): Entry | undefined;
}

export interface SemanticLookupOptions {
  /** Shortlist size from the binary index (K_bq). */
  candidates: number;
  /** How many rescored candidates the verifier may consider (K_final). */
  topK: number;
  /** With a TTL, Milvus skips expired entries (L1 re-checks each candidate anyway). */
  expiry?: Expiry;
  /** The id of the model that made the query vectors: entries another model embedded are not compared (Entry.embedder). */
  embedder: string;
}

export class SemanticLookup {
  constructor(
    private readonly index: VectorIndex,
    private readonly entries: EntrySource,
    private readonly verifier: Verifier,
    private readonly comparison: TextComparison,
    private readonly options: SemanticLookupOptions,
  ) {}

  async find(query: SemanticQuery): Promise<SemanticHit | undefined> {
    return this.choose(query, await this.rank(query));
  }

  /** L2: the binary shortlist, loaded and rescored at full precision, best first, at most topK. */
  async rank(query: SemanticQuery): Promise<SemanticHit[]> {
    const filter = { ...query, createdAfter: this.options.expiry?.cutoff() };
    const hits = await this.index.search(signBits(query.embedding), filter, this.options.candidates);
    const loaded = await Promise.all(hits.map((h) => this.load(h, query)));
    return loaded
      .filter((e): e is Entry => e !== undefined)
      .map((entry) => ({ entry, similarity: cosine(query.embedding, entry.embedding) }))
      .sort((a, b) => b.similarity - a.similarity)
      .slice(0, this.options.topK);
  }

  /**
   * L3: the first ranked candidate the verifier accepts, asked best first and
   * one at a time, so the model verifier stops at the first acceptance (the
   * eval calls it once per swept threshold). The verifier judges what the
   * comparison allows it to (compare.ts): the differing spans, or nothing.
   */
  async choose(query: SemanticQuery, ranked: readonly SemanticHit[], verifier: Verifier = this.verifier): Promise<SemanticHit | undefined> {
    for (const c of ranked) {
      const comparison = await this.comparison.compare(query.text, c.entry.semanticText, c.similarity);
      if (!('compared' in comparison)) continue;
      const { compared } = comparison;
      const verdict = await verifier.verify(compared.query, { text: compared.candidate, similarity: compared.similarity, threshold: query.threshold });
      if (!verdict.accepted) continue;
      const served = await this.current(c.entry, query);
      if (served) return { entry: served, similarity: compared.similarity };
    }
    return undefined;
  }

  /** The stored entry a candidate ranked from memory stands for, if it still is what L3 judged (not deleted, expired or re-embedded since). */
  private async current(ranked: Entry, query: SemanticQuery): Promise<Entry | undefined> {
    if (!this.entries.inMemory) return ranked;
    const entry = this.fits(await this.entries.load(ranked.tenant, ranked.key), query);
    return entry?.semanticText === ranked.semanticText ? entry : undefined;
  }

  /** Loads a candidate, re-checking tenant, context and model: the index is a hint, the entry is the truth. */
  private async load({ tenant, key }: EntryAddress, query: SemanticQuery): Promise<Entry | undefined> {
    if (tenant !== query.tenant || !key) return undefined;
    // A copy in memory that no longer fits (re-embedded by another model since) is read again.
    return this.fits(this.entries.inMemory?.(tenant, key), query) ?? this.fits(await this.entries.load(tenant, key), query);
  }

  /** The entry, if it is in the query's context and embedded by this lookup's model. */
  private fits(entry: Entry | undefined, query: SemanticQuery): Entry | undefined {
    return entry && entry.context === query.context && entry.embedder === this.options.embedder ? entry : undefined;
  }
}
