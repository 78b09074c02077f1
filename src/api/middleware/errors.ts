/**
 * Every failure leaves as an OpenAI-shaped error body with a fitting status:
 * typed gateway errors as they are, HTTP errors thrown by Koa or its
 * middleware (http-errors) with their own status and, where exposable,
 * message, anything else as a 500 that reveals nothing internal.
 *
 * Logging follows what the outcome means: an expected answer (an
 * only-if-cached miss) at info, a client's mistake (4xx) at warn, both
 * without a stack; only a gateway failure (5xx) at error, with the cause.
 */
import { STATUS_CODES } from 'node:http';
import type { Context, Next } from 'koa';
import { GatewayError } from '../../errors';

/** 5xx codes that are an answer the client asked for, not a failure. */
const EXPECTED_CODES = new Set(['cache_miss']);

export async function openAIErrors(ctx: Context, next: Next): Promise<void> {
  try {
    await next();
  } catch (err) {
    const error = toGatewayError(err);
    logFailure(ctx, error, err);
    ctx.status = error.status;
    for (const [name, value] of Object.entries(error.headers)) ctx.set(name, value);
    ctx.body = error.toBody();
  }
}

function logFailure(ctx: Context, error: GatewayError, cause: unknown): void {
  const log = ctx.state.log;
  if (!log) return;
  const fields = { status: error.status, code: error.code, method: ctx.method, path: ctx.path };
  if (error.code && EXPECTED_CODES.has(error.code)) log.info(fields, error.message);
  else if (error.status < 500) log.warn(fields, error.message);
  else log.error({ ...fields, err: cause }, 'request failed');
}

function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  const http = err as { status?: unknown; expose?: unknown; message?: unknown; headers?: unknown };
  if (typeof http.status === 'number' && http.status >= 400 && http.status < 600 && typeof http.expose === 'boolean') {
    const status = http.status;
    const message = http.expose && typeof http.message === 'string' && http.message ? http.message : (STATUS_CODES[status] ?? 'Error');
    const type = status < 500 ? 'invalid_request_error' : 'server_error';
    return new GatewayError(status, message, type, codeFor(status), null, exposedHeaders(http.headers));
  }
  return new GatewayError(500, 'The gateway failed to process the request.', 'server_error', 'internal_error');
}

/** http-errors may carry headers meant for the response (e.g. Allow, Retry-After). */
function exposedHeaders(headers: unknown): Record<string, string> {
  if (!headers || typeof headers !== 'object') return {};
  return Object.fromEntries(Object.entries(headers).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
}

function codeFor(status: number): string {
  if (status === 405) return 'method_not_allowed';
  if (status === 413) return 'request_too_large';
  if (status === 415) return 'unsupported_media_type';
  if (status === 404) return 'unknown_url';
  return status < 500 ? 'bad_request' : 'internal_error';
}
