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

/** What a validated body said that a caller may need before parsing it again (the exact-hit lane). */
export interface KnownFacts {
  identity: CacheIdentity;
  model: string | undefined;
  stream: boolean;
}

export class KnownRequests<R extends { model?: unknown; stream?: unknown }> {
  private readonly facts = new LRUCache<string, KnownFacts>({
    max: MAX_ENTRIES,
    maxSize: MAX_TOTAL_CHARS,
    sizeCalculation: (facts, raw) => raw.length + facts.identity.semanticText.length + 128,
  });

  constructor(
    private readonly validate: (body: unknown) => R,
    private readonly identify: (request: R) => CacheIdentity,
  ) {}

  /** What a body seen and validated before, byte for byte, said; undefined for any other. */
  peek(raw: string): KnownFacts | undefined {
    return this.facts.get(raw);
  }

  /** The validated request and its identity; throws the validation error for an invalid body. */
  parse(raw: string | undefined, body: unknown): KnownRequest<R> {
    const known = raw === undefined ? undefined : this.facts.get(raw);
    if (known) return { request: body as R, identity: known.identity };
    const request = this.validate(body);
    const identity = this.identify(request);
    if (raw !== undefined && raw.length <= MAX_BODY_CHARS) {
      this.facts.set(raw, { identity, model: typeof request.model === 'string' ? request.model : undefined, stream: request.stream === true });
    }
    return { request, identity };
  }
}
