/**
 * The embeddings tier: exact only, per input item. A batch is split into its
 * items; stored items are served from the vector store, the rest go to the
 * provider in ONE call (in their original order), are stored, and the answer
 * is reassembled in the caller's order. Embeddings are deterministic, so
 * there is no semantic tier and no verifier.
 *
 * Misses are stored by the API directly, not through a fill workflow: the
 * vectors are cheap to recompute and exact, so a write lost to a crash costs
 * one repeated provider call later and can never serve a wrong answer —
 * nothing a durable workflow would need to guarantee.
 *
 * Usage: prompt_tokens is the sum over items. Items the provider saw alone,
 * and token-id items, have exact counts; a batch's total is apportioned to
 * its text items by length (the sum stays exact), flagged tokensExact=false.
 */
import type { Logger } from 'pino';
import { EmbeddingItem, EmbeddingsRequest, EmbeddingsResponse, datumVector, inputItems, vectorFromBase64, vectorToBase64 } from '../../wire/embeddings';
import { embeddingItemKey } from './itemKey';
import { StoredVector, VECTOR_FORMAT_VERSION, VectorStore } from './vectorStore';

export interface EmbeddingsOptions {
  lookup: boolean;
  store: boolean;
}

export interface EmbeddingsAnswer {
  response: EmbeddingsResponse;
  /** How many of the items were served from the store. */
  cached: number;
  total: number;
}

/** Calls the provider for the given request (its `input` already narrowed to the missing items). */
export type EmbedUpstream = (request: EmbeddingsRequest) => Promise<EmbeddingsResponse>;

export class EmbeddingsCache {
  /**
   * Fetches in flight in this process by tenant and missing item keys: an
   * identical request that arrives meanwhile waits for that fetch (and its
   * store) instead of paying the provider again, as chat misses do.
   */
  private readonly fetching = new Map<string, Promise<StoredVector[]>>();

  constructor(private readonly store: VectorStore, private readonly log: Logger) {}

  /** The stored vectors of a request's items (undefined where missing), in order. */
  async lookup(tenant: string, request: EmbeddingsRequest): Promise<(StoredVector | undefined)[]> {
    const keys = itemKeys(request);
    return Promise.all(
      keys.map((key) =>
        this.store.get(tenant, key).catch((err) => {
          this.log.warn({ err: String(err), tier: 'embeddings' }, 'vector store read failed; treating the item as a miss');
          return undefined;
        }),
      ),
    );
  }

  async answer(tenant: string, request: EmbeddingsRequest, options: EmbeddingsOptions, upstream: EmbedUpstream, found?: (StoredVector | undefined)[]): Promise<EmbeddingsAnswer> {
    const items = inputItems(request.input);
    const vectors = found ?? (options.lookup ? await this.lookup(tenant, request) : items.map(() => undefined));
    const missing = items.map((_, i) => i).filter((i) => !vectors[i]);
    if (missing.length) {
      const keys = itemKeys(request);
      const fetchAndSave = async () => {
        const fetched = await this.fetch(request, missing.map((i) => items[i]!), missing.length === items.length, upstream);
        if (options.store) await this.save(tenant, missing.map((i) => keys[i]!), fetched);
        return fetched;
      };
      // Only a request that reads and stores the cache joins or leads a shared fetch (no-store and refresh fetch their own).
      const flight = options.lookup && options.store ? `${tenant}\n${missing.map((i) => keys[i]).join('\n')}` : undefined;
      const fetched = await (flight ? this.shared(flight, fetchAndSave) : fetchAndSave());
      missing.forEach((i, n) => (vectors[i] = fetched[n]));
    }
    return { response: render(request, vectors as StoredVector[]), cached: items.length - missing.length, total: items.length };
  }

  /** The fetch for `flight` already running in this process, else `work` as that fetch until it settles. */
  private shared(flight: string, work: () => Promise<StoredVector[]>): Promise<StoredVector[]> {
    const running = this.fetching.get(flight);
    if (running) return running;
    const started = work().finally(() => this.fetching.delete(flight));
    this.fetching.set(flight, started);
    return started;
  }

  private async fetch(request: EmbeddingsRequest, items: EmbeddingItem[], all: boolean, upstream: EmbedUpstream): Promise<StoredVector[]> {
    // base64 is float32 exactly and a quarter of the bytes; a provider that ignores it and sends floats works too.
    const answer = await upstream({ ...request, input: all ? request.input : items, encoding_format: 'base64' });
    const data = [...(answer.data ?? [])].sort((a, b) => a.index - b.index);
    if (data.length !== items.length) throw new Error(`the provider returned ${data.length} embeddings for ${items.length} inputs`);
    const tokens = apportion(Number(answer.usage?.prompt_tokens ?? 0), items);
    const createdAt = Date.now();
    return data.map((datum, n) => ({
      version: VECTOR_FORMAT_VERSION,
      model: String(answer.model ?? request.model),
      vector: vectorToBase64(datumVector(datum.embedding)),
      tokens: tokens[n]!,
      tokensExact: items.length === 1 || Array.isArray(items[n]),
      createdAt,
    }));
  }

  /** A failed write is logged, never surfaced: the caller has its vectors, the item is fetched again next time. */
  private async save(tenant: string, keys: string[], vectors: StoredVector[]): Promise<void> {
    await Promise.all(
      keys.map((key, n) =>
        this.store.put(tenant, key, vectors[n]!).catch((err) => this.log.warn({ err: String(err) }, 'embedding not stored; it will be fetched again')),
      ),
    );
  }
}

const itemKeys = (request: EmbeddingsRequest) => inputItems(request.input).map((item) => embeddingItemKey(request.model, request.dimensions, item));

function render(request: EmbeddingsRequest, vectors: StoredVector[]): EmbeddingsResponse {
  const base64 = request.encoding_format === 'base64';
  const tokens = vectors.reduce((sum, v) => sum + v.tokens, 0);
  return {
    object: 'list',
    data: vectors.map((v, index) => ({ object: 'embedding', index, embedding: base64 ? v.vector : Array.from(vectorFromBase64(v.vector)) })),
    model: vectors[0]?.model ?? request.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

/**
 * A batch's token total split over its items: token-id items count their
 * length; the rest is shared by text length with largest remainders, so the
 * parts always add up to the provider's total.
 */
export function apportion(total: number, items: EmbeddingItem[]): number[] {
  const out = items.map((item) => (Array.isArray(item) ? item.length : 0));
  const texts = items.map((item, i) => (typeof item === 'string' ? i : -1)).filter((i) => i >= 0);
  const rest = Math.max(0, total - out.reduce((a, b) => a + b, 0));
  const weight = texts.reduce((sum, i) => sum + Math.max(1, (items[i] as string).length), 0);
  if (!texts.length || !weight) return out;
  const shares = texts.map((i) => (rest * Math.max(1, (items[i] as string).length)) / weight);
  texts.forEach((i, n) => (out[i] = Math.floor(shares[n]!)));
  let left = rest - texts.reduce((sum, i) => sum + out[i]!, 0);
  const byRemainder = texts.map((i, n) => ({ i, r: shares[n]! - Math.floor(shares[n]!) })).sort((a, b) => b.r - a.r);
  for (const { i } of byRemainder) if (left-- > 0) out[i]!++;
  return out;
}
