/**
 * A provider failure, classified once, and the one rule for what the client
 * sees: provider client errors keep their status and body (429 keeps
 * Retry-After), everything retryable that still failed becomes a 502.
 */
import { GatewayError, OpenAIErrorBody, ProviderError, unavailable } from '../errors';
import { isRetryableStatus } from './retry';

export interface ProviderFailure {
  /** The provider's HTTP status; 0 when no response arrived (connection error, timeout). */
  status: number;
  body: OpenAIErrorBody;
  /** Worth retrying (see isRetryableStatus). */
  retryable: boolean;
  retryAfter?: string;
  /** Not the provider's: the fill could not read or write the entry store (storageFailure); the client gets a 503. */
  storage?: true;
}

export class UpstreamError extends Error {
  override name = 'UpstreamError';
  constructor(readonly failure: ProviderFailure) {
    super(failure.body.error.message);
  }
}

/** A failure from the provider's status and (possibly absent or malformed) error body. */
export function failureOf(status: number, error: unknown, fallbackMessage: string, retryAfter?: string): ProviderFailure {
  const e = (error && typeof error === 'object' ? error : {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    status,
    retryable: isRetryableStatus(status),
    retryAfter: retryAfter ?? undefined,
    body: {
      error: {
        message: str(e.message) ?? fallbackMessage,
        type: str(e.type) ?? (status >= 500 || status === 0 ? 'api_error' : 'invalid_request_error'),
        param: str(e.param),
        code: str(e.code),
      },
    },
  };
}

/** The provider failure an activity failure carries in its details, else a retryable "no response" one with the error's message. */
export function failureFromDetails(details: unknown, message: string): ProviderFailure {
  const failure = details as ProviderFailure | undefined;
  if (failure && typeof failure.status === 'number') return failure;
  return { status: 0, retryable: true, body: { error: { message, type: 'api_error', param: null, code: null } } };
}

/** A fill that failed on the entry store (PostgreSQL or the shared volume down), told apart from a provider failure. */
export function storageFailure(err: unknown): ProviderFailure {
  const message = `The entry store cannot be reached: ${err instanceof Error ? err.message : String(err)}`;
  return { status: 503, retryable: true, storage: true, body: { error: { message, type: 'service_unavailable', param: null, code: 'storage_unavailable' } } };
}

export function providerError(failure: ProviderFailure): GatewayError {
  const { status, body, retryAfter } = failure;
  if (failure.storage) return unavailable(body.error.message, 'storage_unavailable');
  const headers: Record<string, string> = retryAfter ? { 'Retry-After': retryAfter } : {};
  if (status === 429 || (status >= 400 && !failure.retryable)) {
    return new ProviderError(status, body.error.message, body.error.type, body.error.code, body.error.param, headers);
  }
  const detail = status ? `status ${status}` : 'no response';
  return new ProviderError(502, `Upstream provider failed (${detail}): ${body.error.message}`, 'api_error', 'upstream_error');
}
