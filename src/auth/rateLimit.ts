/**
 * Per-key request limits (rate-limiter-flexible): a window of one minute from
 * the key's first request in it. In memory by default, so counted per API
 * replica (N replicas: up to N × the limit; docs/operations.md). Given the
 * PostgreSQL pool (REFLEX_DATABASE_URL), the count is shared by every replica
 * — one upsert per limited request — and falls back to this replica's memory
 * while Postgres cannot answer (service degrades to per-replica limits).
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

export class KeyRateLimiter {
  private readonly limiters = new Map<number, RateLimiterAbstract>();

  /** `shared`: the pool of the PostgreSQL every replica uses (table rate_limits, src/postgres/migrations.ts). */
  constructor(private readonly shared?: Pool) {}

  async take(keyId: string, perMinute: number): Promise<RateDecision> {
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

  private limiterFor(perMinute: number): RateLimiterAbstract {
    const options = { points: perMinute, duration: 60, keyPrefix: `rpm${perMinute}` };
    if (!this.shared) return new RateLimiterMemory(options);
    // The table is the migration's; expired rows are overwritten by the next window, so none pile up.
    return new RateLimiterPostgres({
      ...options, storeClient: this.shared, tableName: 'rate_limits', tableCreated: true, clearExpiredByTimeout: false,
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
