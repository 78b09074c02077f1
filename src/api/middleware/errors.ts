/**
 * Every failure leaves as an OpenAI-shaped error body with a fitting status:
 * typed gateway errors as they are, Koa/body-parser HTTP errors (bad JSON,
 * body too large) as 4xx invalid_request_error, anything else as a 500 that
 * reveals nothing internal.
 */
import type { Context, Next } from 'koa';
import { GatewayError } from '../../errors';

export async function openAIErrors(ctx: Context, next: Next): Promise<void> {
  try {
    await next();
  } catch (err) {
    const error = toGatewayError(err);
    if (error.status >= 500) ctx.state.log?.error({ err }, 'request failed');
    ctx.status = error.status;
    for (const [name, value] of Object.entries(error.headers)) ctx.set(name, value);
    ctx.body = error.toBody();
  }
}

function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  const http = err as { status?: unknown; expose?: unknown; message?: unknown; type?: unknown };
  if (typeof http.status === 'number' && http.status >= 400 && http.status < 500) {
    return new GatewayError(http.status, httpMessage(http.status, String(http.message ?? '')), 'invalid_request_error', codeFor(http.status));
  }
  return new GatewayError(500, 'The gateway failed to process the request.', 'server_error', 'internal_error');
}

function httpMessage(status: number, message: string): string {
  if (status === 413) return 'The request body is too large.';
  if (status === 400) return `The request body is not valid JSON: ${message}`;
  return message || 'Bad request.';
}

function codeFor(status: number): string {
  if (status === 413) return 'request_too_large';
  if (status === 400) return 'invalid_json';
  if (status === 415) return 'unsupported_media_type';
  return 'bad_request';
}
