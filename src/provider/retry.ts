/**
 * How provider calls are retried, written once: the fill workflow's activity
 * retry policy and the streaming relay's own loop (a stream is opened by the
 * API, outside Temporal) both read it. No imports, so workflow code may too.
 */
export const PROVIDER_RETRY = { initialIntervalMs: 500, backoffCoefficient: 2, maximumIntervalMs: 5_000 } as const;

/** The wait before retry number `attempt` (1 = the first retry). */
export const retryDelayMs = (attempt: number) =>
  Math.min(PROVIDER_RETRY.initialIntervalMs * PROVIDER_RETRY.backoffCoefficient ** (attempt - 1), PROVIDER_RETRY.maximumIntervalMs);

/** Worth retrying: no response at all (0), 408, 409, 429 and 5xx. */
export const isRetryableStatus = (status: number) => status === 0 || status === 408 || status === 409 || status === 429 || status >= 500;
