/**
 * Per-key request limits (rate-limiter-flexible, in memory): a window of one
 * minute from the key's first request in it. Counted per API replica: with
 * N replicas behind a balancer a key gets up to N × its limit (documented in
 * docs/operations.md); a shared counter would put a network hop on every hit.
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Until the window resets and the full limit is back. */
  resetMs: number;
}

export class KeyRateLimiter {
  private readonly limiters = new Map<number, RateLimiterMemory>();

  async take(keyId: string, perMinute: number): Promise<RateDecision> {
    let limiter = this.limiters.get(perMinute);
    if (!limiter) {
      limiter = new RateLimiterMemory({ points: perMinute, duration: 60, keyPrefix: `rpm${perMinute}` });
      this.limiters.set(perMinute, limiter);
    }
    try {
      return decision(true, perMinute, await limiter.consume(keyId));
    } catch (res) {
      if (res instanceof RateLimiterRes) return decision(false, perMinute, res);
      throw res;
    }
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
