/**
 * Validation and the cache identity of a request body seen before, byte for
 * byte. Agents repeat identical requests (that is what L1 serves), and for
 * identical bytes both the zod validation and the identity (canonical JSON,
 * two sha256) come out the same every time; so the identity is kept per raw
 * body text in a bounded LRU and an exact repeat skips both.
 *
 * The request itself is never shared between requests: a repeat uses its own
 * freshly parsed body, which passed the same validation before. So `validate`
 * must only check (the endpoints' zod schemas pass everything through and
 * transform nothing), and `identify` must depend on nothing but the request
 * (the sampling policy is fixed per process). Invalid bodies are never remembered,
 * so they fail again with the same error. Memory only, bounded by count and
 * by characters; bodies above MAX_BODY_CHARS are always worked out afresh.
 */
import { LRUCache } from 'lru-cache';
import type { CacheIdentity } from '../cache/keys/cacheKey';

const MAX_ENTRIES = 4096;
const MAX_TOTAL_CHARS = 32 * 1024 * 1024;
export const MAX_BODY_CHARS = 256 * 1024;

export interface KnownRequest<R> {
  request: R;
  identity: CacheIdentity;
}

export class KnownRequests<R> {
  private readonly identities = new LRUCache<string, CacheIdentity>({
    max: MAX_ENTRIES,
    maxSize: MAX_TOTAL_CHARS,
    sizeCalculation: (identity, raw) => raw.length + identity.semanticText.length + 128,
  });

  constructor(
    private readonly validate: (body: unknown) => R,
    private readonly identify: (request: R) => CacheIdentity,
  ) {}

  /** The identity of a body seen and validated before, byte for byte; undefined for any other. */
  peek(raw: string): CacheIdentity | undefined {
    return this.identities.get(raw);
  }

  /** The validated request and its identity; throws the validation error for an invalid body. */
  parse(raw: string | undefined, body: unknown): KnownRequest<R> {
    const known = raw === undefined ? undefined : this.identities.get(raw);
    if (known) return { request: body as R, identity: known };
    const request = this.validate(body);
    const identity = this.identify(request);
    if (raw !== undefined && raw.length <= MAX_BODY_CHARS) this.identities.set(raw, identity);
    return { request, identity };
  }
}
