/**
 * Backpressure for misses: at most `limit` in flight in this process (from
 * admission to the answer), then a FIFO queue of at most `queue` waiting at
 * most `waitMs` each; past either bound the miss is refused at once with a
 * 503 and Retry-After, instead of every caller's latency growing without
 * bound while the cores are saturated. Hits are never queued here; only
 * while both bounds are full is a request refused before its lookup
 * (assertRoom), hit or not, since a lookup is most of a miss's CPU before
 * its fill.
 */
import type { Gauge, Counter } from 'prom-client';
import { GatewayError } from '../errors';
import type { Metrics } from '../metrics';

export interface AdmissionLimits {
  /** REFLEX_MAX_MISSES: misses in flight at once. */
  limit: number;
  /** REFLEX_MISS_QUEUE: misses waiting for a slot. */
  queue: number;
  /** REFLEX_MISS_QUEUE_MS: how long one may wait. */
  waitMs: number;
}

export interface AdmissionMetrics {
  inFlight: Pick<Gauge, 'set'>;
  queued: Pick<Gauge, 'set'>;
  refused: Pick<Counter<'reason'>, 'inc'>;
}

type Waiter = { admit(): void; timer: NodeJS.Timeout };

export class Admission {
  private active = 0;
  private readonly waiting: Waiter[] = [];

  constructor(
    private readonly limits: AdmissionLimits,
    private readonly metrics: AdmissionMetrics,
  ) {}

  /** The process's gate: the configured limits, reported on the gateway's own metrics. */
  static of(limits: AdmissionLimits, metrics: Metrics): Admission {
    return new Admission(limits, { inFlight: metrics.missesInFlight, queued: metrics.missQueue, refused: metrics.missesRefused });
  }

  /** Misses admitted and not yet answered. */
  get inFlight(): number {
    return this.active;
  }

  /**
   * Refuses at once (the same 503) when a miss could neither run nor queue
   * now, so a request arriving in an overload spends nothing on its lookup
   * (an embedding and a vector search) only to be refused after it.
   */
  assertRoom(): void {
    if (this.active >= this.limits.limit && this.waiting.length >= this.limits.queue) throw this.refuse('queue_full');
  }

  /** Resolves with the slot's release once the miss may proceed; rejects with a 503 when it may not. */
  async enter(): Promise<() => void> {
    if (this.active < this.limits.limit) return this.admitted();
    if (this.waiting.length >= this.limits.queue) throw this.refuse('queue_full');
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        admit: resolve,
        timer: setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(waiter), 1);
          this.report();
          reject(this.refuse('queue_timeout'));
        }, this.limits.waitMs),
      };
      this.waiting.push(waiter);
      this.report();
    });
    return this.release;
  }

  private admitted(): () => void {
    this.active++;
    this.report();
    return this.release;
  }

  /** Each admission's release; the next waiter takes the slot at once. */
  private readonly release = (): void => {
    const next = this.waiting.shift();
    if (next) {
      clearTimeout(next.timer);
      next.admit();
    } else {
      this.active--;
    }
    this.report();
  };

  private report(): void {
    this.metrics.inFlight.set(this.active);
    this.metrics.queued.set(this.waiting.length);
  }

  private refuse(reason: 'queue_full' | 'queue_timeout'): GatewayError {
    this.metrics.refused.inc({ reason });
    const message = 'The gateway is at capacity for new (uncached) requests; retry after the delay in Retry-After.';
    return new GatewayError(503, message, 'service_unavailable', 'gateway_overloaded', null, { 'Retry-After': '1' });
  }
}
