/**
 * The one way a test waits for an effect that lands asynchronously (later on a
 * loaded machine): poll `probe` until `until` accepts its value, and resolve
 * with that value. When `ms` pass first it rejects, naming what it waited for
 * and the last value it saw, so a timeout fails at the line that waited and
 * can never be mistaken for a result. An error thrown by the probe is not
 * retried: it fails the wait at once (a probe that expects transient errors,
 * such as a refused connection, catches them itself).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { inspect } from 'node:util';

export interface EventuallyOptions<T> {
  /** Accepts the probe's value; default: any truthy value. */
  until?: (value: T) => boolean;
  /** How long to keep polling. */
  ms?: number;
  /** Pause between probes. */
  everyMs?: number;
  /** What is awaited, for the timeout's message. */
  what?: string;
}

export async function eventually<T>(probe: () => T | Promise<T>, options: EventuallyOptions<T> = {}): Promise<T> {
  const { until = Boolean, ms = 10_000, everyMs = 50, what = 'the condition' } = options;
  const deadline = Date.now() + ms;
  const timeout = new Error(); // its stack points at the caller's line, not at this loop
  Error.captureStackTrace(timeout, eventually);
  for (;;) {
    const value = await probe();
    if (until(value)) return value;
    if (Date.now() >= deadline) {
      timeout.message = `${what}: not within ${ms} ms (last value: ${inspect(value, { depth: 2, breakLength: Infinity }).slice(0, 500)})`;
      throw timeout;
    }
    await sleep(everyMs);
  }
}
