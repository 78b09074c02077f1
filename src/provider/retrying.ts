/**
 * A provider call made by the API process itself (outside Temporal), retried
 * like the fill activity would be: 429/5xx/transport failures only, with the
 * shared backoff numbers.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { UpstreamError } from './failure';
import { retryDelayMs } from './retry';

export async function withProviderRetry<T>(call: () => Promise<T>, maxAttempts: number, giveUp: () => boolean = () => false): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const retryable = err instanceof UpstreamError && err.failure.retryable;
      if (!retryable || attempt >= maxAttempts || giveUp()) throw err;
      await sleep(retryDelayMs(attempt));
    }
  }
}
