/**
 * Per-key request limits: a window of one minute from the key's first request
 * in it. In memory by default, so counted per API replica (N replicas: up to
 * N × the limit; docs/operations.md), and decided synchronously (takeNow): the
 * exact-hit lane answers a limited key in the same tick, with no promise — a
 * promise per hit cost the lane ~15% of its throughput. Given the PostgreSQL
 * pool (REFLEX_DATABASE_URL), the count is shared by every replica through
 * rate-limiter-flexible's Postgres limiter — one upsert per limited request —
 * which falls back to this replica's memory while Postgres cannot answer
 * (service degrades to per-replica limits).
 */
import type { Pool } from 'pg';
import { RateLimiterAbstract, RateLimiterMemory, RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Until the window resets and the full limit is back. */
  resetMs: number;
}

const WINDOW_MS = 60_000;

export class KeyRateLimiter {
  private readonly limiters = new Map<number, RateLimiterAbstract>();
  /** The in-memory windows, by key id and limit (a key whose limit changes starts a new count). */
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  /** `shared`: the pool of the PostgreSQL every replica uses (table rate_limits, src/postgres/migrations.ts). */
  constructor(private readonly shared?: Pool) {}

  /** The decision at once when counted in memory; undefined when the count is shared (use take). */
  takeNow(keyId: string, perMinute: number, now = Date.now()): RateDecision | undefined {
    if (this.shared) return undefined;
    const id = `${perMinute}:${keyId}`;
    let window = this.windows.get(id);
    if (!window || window.resetAt <= now) {
      if (this.windows.size > 100_000) this.dropExpired(now);
      this.windows.set(id, (window = { count: 0, resetAt: now + WINDOW_MS }));
    }
    window.count++;
    return { allowed: window.count <= perMinute, limit: perMinute, remaining: Math.max(0, perMinute - window.count), resetMs: window.resetAt - now };
  }

  async take(keyId: string, perMinute: number): Promise<RateDecision> {
    const inMemory = this.takeNow(keyId, perMinute);
    if (inMemory) return inMemory;
    let limiter = this.limiters.get(perMinute);
    if (!limiter) {
      limiter = this.limiterFor(perMinute);
      this.limiters.set(perMinute, limiter);
    }
    try {
      return decision(true, perMinute, await limiter.consume(keyId));
    } catch (res) {
      if (res instanceof RateLimiterRes) return decision(false, perMinute, res);
      throw res;
    }
  }

  private dropExpired(now: number): void {
    for (const [id, w] of this.windows) if (w.resetAt <= now) this.windows.delete(id);
  }

  private limiterFor(perMinute: number): RateLimiterAbstract {
    const options = { points: perMinute, duration: 60, keyPrefix: `rpm${perMinute}` };
    // The table is the migration's; expired rows are overwritten by the next window, so none pile up.
    return new RateLimiterPostgres({
      ...options, storeClient: this.shared!, tableName: 'rate_limits', tableCreated: true, clearExpiredByTimeout: false,
      insuranceLimiter: new RateLimiterMemory(options),
    });
  }
}

const decision = (allowed: boolean, limit: number, res: RateLimiterRes): RateDecision => ({
  allowed,
  limit,
  remaining: Math.max(0, res.remainingPoints),
  resetMs: Math.max(0, res.msBeforeNext),
});

/** OpenAI's rate-limit headers (durations like "1s", "6m0s", "20ms") and, when refused, Retry-After. */
export function rateLimitHeaders(d: RateDecision): Record<string, string> {
  const headers: Record<string, string> = {
    'x-ratelimit-limit-requests': String(d.limit),
    'x-ratelimit-remaining-requests': String(d.remaining),
    'x-ratelimit-reset-requests': openAIDuration(d.resetMs),
  };
  if (!d.allowed) headers['retry-after'] = String(Math.max(1, Math.ceil(d.resetMs / 1000)));
  return headers;
}

export function openAIDuration(ms: number): string {
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms - minutes * 60_000) / 10) / 100;
  return minutes ? `${minutes}m${seconds}s` : `${seconds}s`;
}
