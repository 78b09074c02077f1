/**
 * Typed gateway errors. Each carries the HTTP status and the OpenAI error
 * fields, so the HTTP layer renders every failure the same way and the
 * official SDKs raise the right error class.
 */
export type OpenAIErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'api_error'
  | 'server_error'
  | 'service_unavailable'
  | 'timeout';

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export class GatewayError extends Error {
  override name = 'GatewayError';
  constructor(
    readonly status: number,
    message: string,
    readonly type: OpenAIErrorType | string = 'invalid_request_error',
    readonly code: string | null = null,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toBody(): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export const invalidRequest = (message: string, param: string | null = null, code: string | null = null) =>
  new GatewayError(400, message, 'invalid_request_error', code, param);

export const unavailable = (message: string, code = 'dependency_unavailable') =>
  new GatewayError(503, message, 'service_unavailable', code);

/** An upstream (provider) failure surfaced to the client with the provider's own status. */
export class ProviderError extends GatewayError {
  override name = 'ProviderError';
}
