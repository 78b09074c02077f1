/**
 * The hit path, in-process and without Temporal: L1 exact, then L2 semantic
 * with L3 verification. A failing dependency degrades the path (the tier is
 * skipped and the request becomes a miss); it never produces an answer.
 */
import type { Logger } from 'pino';
import { Embedder } from './embedding/embedder';
import { CacheIdentity } from './keys/cacheKey';
import { Tenant } from './keys/tenant';
import { ExactCache } from './l1/exactCache';
import { SemanticLookup } from './l2/semanticLookup';
import { Entry } from './storage/entry';

export type LookupResult =
  | { status: 'HIT_L1_EXACT'; entry: Entry }
  /** `embedding`: the query's (an audit's repair stores it with the fresh answer). */
  | { status: 'HIT_L3_VERIFIED'; entry: Entry; similarity: number; embedding?: Float32Array; embedder?: string }
  /** `embedder`: the id of the model that made `embedding` (the entry records it). */
  | { status: 'MISS'; embedding?: Float32Array; embedder?: string; refused?: RefusedCandidate };

/**
 * A candidate the verifier accepted that the tenant's error-budget floor
 * refused: its miss pays for a fresh answer anyway, so the worker judges the
 * candidate's answer against it for free (a `free` verdict, cache/l3/budget).
 */
export interface RefusedCandidate {
  entryKey: string;
  /** The cosine L3 compared (what the floor applies to). */
  similarity: number;
}

/** A tenant's cosine floor when its error budget raised it (cache/l3/budget/errorBudget.ts). */
export interface TenantFloors {
  floorFor(tenant: string): number | undefined;
}

export class CacheLookup {
  constructor(
    private readonly exact: ExactCache,
    private readonly semantic: SemanticLookup,
    private readonly embedder: Embedder,
    private readonly log: Logger,
    private readonly floors?: TenantFloors,
  ) {}

  async lookup(tenant: Tenant, identity: CacheIdentity, options: { threshold?: number } = {}): Promise<LookupResult> {
    const exact = this.exact.getInMemory(tenant.id, identity.key) ?? (await this.exactHit(tenant, identity));
    if (exact) return { status: 'HIT_L1_EXACT', entry: exact };
    if (!identity.semanticText) return { status: 'MISS' };
    const embedding = await this.embed(identity.semanticText);
    if (!embedding) return { status: 'MISS' };
    const hit = await this.semanticHit(tenant, identity, embedding, options.threshold);
    if (!hit) return { status: 'MISS', embedding, embedder: this.embedder.id };
    // The verifier judged at the request's threshold; the tenant's raised floor, if any, is applied here, so a
    // candidate it alone refused is known to the miss (RefusedCandidate). It overrides a laxer X-Reflex-Threshold.
    const floor = this.floors?.floorFor(tenant.id);
    if (floor !== undefined && !(hit.similarity >= floor)) {
      return { status: 'MISS', embedding, embedder: this.embedder.id, refused: { entryKey: hit.entry.key, similarity: hit.similarity } };
    }
    this.exact.remember(hit.entry);
    return { status: 'HIT_L3_VERIFIED', entry: hit.entry, similarity: hit.similarity, embedding, embedder: this.embedder.id };
  }

  private async exactHit(tenant: Tenant, identity: CacheIdentity): Promise<Entry | undefined> {
    try {
      return await this.exact.get(tenant.id, identity.key);
    } catch (err) {
      this.log.warn({ err, tier: 'l1' }, 'L1 lookup failed; treating as miss');
      return undefined;
    }
  }

  private async embed(text: string): Promise<Float32Array | undefined> {
    try {
      return await this.embedder.embed(text);
    } catch (err) {
      this.log.error({ err }, 'embedding failed; skipping L2');
      return undefined;
    }
  }

  private async semanticHit(tenant: Tenant, identity: CacheIdentity, embedding: Float32Array, threshold: number | undefined) {
    try {
      return await this.semantic.find({
        tenant: tenant.id,
        context: identity.context,
        text: identity.semanticText,
        embedding,
        threshold,
      });
    } catch (err) {
      this.log.warn({ err: String(err), tier: 'l2' }, 'L2 unavailable; skipping semantic lookup');
      return undefined;
    }
  }
}
