/**
 * Request bodies: JSON parsing (@koa/bodyparser, with its size limit and
 * gzip/deflate/br decoding) whose failures become 4xx errors that say what
 * was wrong, then a nesting-depth limit checked before anything that
 * recurses (canonical JSON, zod, Temporal's payload converter) sees the body.
 * A body the exact-hit lane already read (api/exactLane.ts) is parsed here
 * from its text, exactly as co-body would have parsed it from the socket.
 */
import type { IncomingMessage } from 'node:http';
import bourne from '@hapi/bourne';
import { bodyParser } from '@koa/bodyparser';
import type { Context, Middleware, Next } from 'koa';
import { GatewayError, invalidRequest } from '../../errors';

/** Deeper than any real request (tool schemas nest a few levels), far below what overflows a stack. */
export const MAX_JSON_DEPTH = 64;

/**
 * Content-Type values every OpenAI client sends: recognised by string compare, which
 * spares each request type-is's parse; any other value still goes through type-is.
 */
export const PLAIN_JSON = new Set(['application/json', 'application/json; charset=utf-8']);

/** What the lane read of a body before handing its request over: the text (BOM stripped), or that the client aborted. */
export type PreReadBody = { raw: string } | { aborted: true };

const PRE_READ = Symbol('reflex.preReadBody');
type WithPreRead = IncomingMessage & { [PRE_READ]?: PreReadBody };

export function handOverBody(req: IncomingMessage, body: PreReadBody): void {
  (req as WithPreRead)[PRE_READ] = body;
}

export function jsonBody(maxBytes: number): Middleware {
  const parse = socketBody(maxBytes);
  return (ctx: Context, next: Next) => {
    const pre = (ctx.req as WithPreRead)[PRE_READ];
    if (pre === undefined) return parse(ctx, next);
    if ('aborted' in pre) throw invalidRequest('The request body ended before it was complete.', null, 'incomplete_body');
    ctx.request.rawBody = pre.raw;
    ctx.request.body = parseJsonText(pre.raw);
    return next();
  };
}

/** co-body's strict JSON: an empty body is {}, anything but an object or array is refused, and so is a __proto__ key. */
const STRICT_JSON = /^[\x20\x09\x0a\x0d]*(\[|\{)/;

export function parseJsonText(raw: string): unknown {
  try {
    if (!raw) return {};
    if (!STRICT_JSON.test(raw)) throw new SyntaxError('invalid JSON, only supports object and array');
    return bourne.parse(raw, { protoAction: 'error' });
  } catch (err) {
    throw bodyError(err, '') ?? err;
  }
}

function socketBody(maxBytes: number): Middleware {
  return bodyParser({
    enableTypes: ['json'],
    detectJSON: (ctx) => PLAIN_JSON.has(ctx.get('content-type')),
    jsonLimit: maxBytes,
    encoding: 'utf-8',
    onError: (err, ctx) => {
      throw bodyError(err, ctx.get('content-encoding')) ?? err;
    },
  });
}

/**
 * What co-body, raw-body, inflation and zlib throw, as the error the client
 * should see; undefined for a failure of the gateway's own (left to be a 500).
 */
export function bodyError(err: unknown, contentEncoding: string): GatewayError | undefined {
  const e = err as { status?: unknown; code?: unknown; errno?: unknown; message?: unknown; type?: unknown };
  const message = typeof e.message === 'string' ? e.message : '';
  if (e.status === 413) return new GatewayError(413, 'The request body is too large.', 'invalid_request_error', 'request_too_large');
  if (e.status === 415) {
    return new GatewayError(415, `${message || 'Unsupported body encoding'}; send identity, gzip, deflate or br.`, 'invalid_request_error', 'unsupported_media_type', 'Content-Encoding');
  }
  // Only the decompressor (zlib, brotli) fails without an HTTP status on this path.
  if (contentEncoding && contentEncoding !== 'identity' && typeof e.status !== 'number' && !(err instanceof SyntaxError)) {
    return invalidRequest(`The request body is not valid ${contentEncoding || 'compressed'} data (Content-Encoding): ${message}.`, 'Content-Encoding', 'invalid_content_encoding');
  }
  if (err instanceof SyntaxError) return invalidRequest(`The request body is not valid JSON: ${message}`, null, 'invalid_json');
  if (e.type === 'request.aborted') return invalidRequest('The request body ended before it was complete.', null, 'incomplete_body');
  if (e.type === 'request.size.invalid') return invalidRequest('The request body does not match its Content-Length.', null, 'invalid_content_length');
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) return new GatewayError(e.status, message || 'The request body could not be read.', 'invalid_request_error', 'invalid_body');
  return undefined;
}

/** Refuses bodies nested deeper than MAX_JSON_DEPTH (the body itself is level 1). Iterative: no recursion. */
export function limitJsonDepth(ctx: Context, next: Next): Promise<void> {
  if (exceedsDepth(ctx.request.body, MAX_JSON_DEPTH)) {
    throw invalidRequest(`The request body nests JSON objects and arrays deeper than ${MAX_JSON_DEPTH} levels.`, null, 'json_too_deep');
  }
  return next();
}

export function exceedsDepth(value: unknown, max: number): boolean {
  const pending: [object, number][] = [];
  if (value !== null && typeof value === 'object') pending.push([value, 1]);
  for (let item = pending.pop(); item; item = pending.pop()) {
    const [node, depth] = item;
    if (depth > max) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child !== null && typeof child === 'object') pending.push([child, depth + 1]);
    }
  }
  return false;
}
