/**
 * Per-key request limits: a window of one minute from the key's first request
 * in it. In memory by default, so counted per API replica (N replicas: up to
 * N × the limit; docs/operations.md), and decided synchronously (takeNow): the
 * exact-hit lane answers a limited key in the same tick, with no promise — a
 * promise per hit cost the lane ~15% of its throughput. Given a shared count
 * (leasedCount.ts over REFLEX_DATABASE_URL: points leased in batches, one
 * upsert per batch, spent synchronously too), every replica counts together;
 * while it cannot answer, this replica's memory counts instead (service
 * degrades to per-replica limits).
 */
import type { Logger } from 'pino';
import type { LeasedCount } from './leasedCount';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Until the window resets and the full limit is back. */
  resetMs: number;
}

const WINDOW_MS = 60_000;
/** After a failed lease, how long to count alone before asking PostgreSQL again (a refused connection costs each request otherwise). */
const FALLBACK_MS = 1_000;

export class KeyRateLimiter {
  /** The in-memory windows, by key id and limit (a key whose limit changes starts a new count). */
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  /** While PostgreSQL failed lately: until when this replica counts alone without asking it again. */
  private fallbackUntil = 0;
  private fellBack = false;

  /** `leased`: the count every replica shares (absent: this replica counts alone). */
  constructor(private readonly leased?: LeasedCount, private readonly log?: Logger) {}

  /** The decision at once when this replica can decide alone; undefined when a lease must be fetched first (use take). */
  takeNow(keyId: string, perMinute: number, now = Date.now()): RateDecision | undefined {
    if (this.leased) return this.leased.takeNow(keyId, perMinute, now);
    return this.inMemory(keyId, perMinute, now);
  }

  async take(keyId: string, perMinute: number): Promise<RateDecision> {
    if (!this.leased || Date.now() < this.fallbackUntil) return this.inMemory(keyId, perMinute, Date.now());
    try {
      const decided = await this.leased.take(keyId, perMinute);
      if (this.fellBack) this.log?.info('rate limits: PostgreSQL answers again; counts are shared again');
      this.fellBack = false;
      return decided;
    } catch (err) {
      if (!this.fellBack) this.log?.warn({ err: String(err) }, 'rate limits: PostgreSQL cannot lease points; counting in this replica until it answers');
      this.fellBack = true;
      this.fallbackUntil = Date.now() + FALLBACK_MS;
      return this.inMemory(keyId, perMinute, Date.now());
    }
  }

  private inMemory(keyId: string, perMinute: number, now: number): RateDecision {
    const id = `${perMinute}:${keyId}`;
    let window = this.windows.get(id);
    if (!window || window.resetAt <= now) {
      if (this.windows.size > 100_000) this.dropExpired(now);
      this.windows.set(id, (window = { count: 0, resetAt: now + WINDOW_MS }));
    }
    window.count++;
    return { allowed: window.count <= perMinute, limit: perMinute, remaining: Math.max(0, perMinute - window.count), resetMs: window.resetAt - now };
  }

  private dropExpired(now: number): void {
    for (const [id, w] of this.windows) if (w.resetAt <= now) this.windows.delete(id);
  }
}

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
