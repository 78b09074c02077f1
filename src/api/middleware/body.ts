/**
 * Request bodies: JSON read as text (@koa/bodyparser, with its size limit
 * and gzip/deflate/br decoding), scanned for nesting depth in one pass, and
 * only then parsed, so a deep body costs a linear scan, not a parse; failures
 * become 4xx errors that say what was wrong. The depth limit is checked again
 * on the parsed value before anything that recurses (canonical JSON, zod,
 * Temporal's payload converter) sees the body. A body the exact-hit lane
 * already read (api/exactLane.ts) takes the same scan and parse from its text.
 */
import type { IncomingMessage } from 'node:http';
import bourne from '@hapi/bourne';
import { bodyParser } from '@koa/bodyparser';
import type { Context, Middleware, Next } from 'koa';
import { GatewayError, invalidRequest } from '../../errors';

/** Deeper than any real request (tool schemas nest a few levels), far below what overflows a stack. */
export const MAX_JSON_DEPTH = 64;

export interface JsonLimits {
  depth: number;
  containers: number;
  members: number;
  values: number;
}

/**
 * How much structure one body may hold, counted in the scan before any parse.
 * Real requests hold hundreds to a few thousand of each (a long conversation,
 * tool schemas, 2,048 token lists); the caps are what keeps JSON.parse of any
 * body within REFLEX_MAX_BODY_BYTES near ~50 ms of CPU (BENCHMARKS.md,
 * request bodies): 4 MB of small nested arrays (~2 M) took 375-680 ms, one
 * object of 380,000 keys 300-490 ms, 2 M numbers 65-113 ms.
 */
export const JSON_LIMITS: JsonLimits = {
  depth: MAX_JSON_DEPTH,
  /** Objects and arrays. */
  containers: 100_000,
  /** Object members (name: value pairs): V8 builds a large object as a dictionary, the costliest shape. */
  members: 20_000,
  /** Array elements and object members (commas): a long conversation with tools holds a few thousand. */
  values: 100_000,
};

/** /v1/embeddings takes token lists: 300,000 values is OpenAI's cap on tokens in one embeddings request. */
export const EMBEDDINGS_JSON_LIMITS: JsonLimits = { ...JSON_LIMITS, values: 300_000 };

const limitsFor = (path: string) => (/^\/v1\/embeddings\/?$/i.test(path) ? EMBEDDINGS_JSON_LIMITS : JSON_LIMITS);

/**
 * Content-Type values every OpenAI client sends: the exact-hit lane recognises them by
 * string compare (any other value goes through Koa, and type-is there).
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
  const read = socketBody(maxBytes);
  return (ctx: Context, next: Next) => {
    const pre = (ctx.req as WithPreRead)[PRE_READ];
    if (pre === undefined) {
      // The socket's JSON body arrives as text (socketBody): parsed here, after the nesting scan.
      return read(ctx, () => {
        if (typeof ctx.request.body === 'string') ctx.request.body = parseJsonText(ctx.request.body, limitsFor(ctx.path));
        return next();
      });
    }
    if ('aborted' in pre) throw invalidRequest('The request body ended before it was complete.', null, 'incomplete_body');
    ctx.request.rawBody = pre.raw;
    ctx.request.body = parseJsonText(pre.raw, limitsFor(ctx.path));
    return next();
  };
}

/** co-body's strict JSON: an empty body is {}, anything but an object or array is refused, and so is a __proto__ key. */
const STRICT_JSON = /^[\x20\x09\x0a\x0d]*(\[|\{)/;

export function parseJsonText(raw: string, limits = JSON_LIMITS): unknown {
  // Before any parse: a deep body is refused in one linear scan, never built (a few MB of `[[[…` took
  // JSON.parse hundreds of milliseconds of CPU before the depth check could see it).
  const shape = jsonShape(raw, limits);
  if (shape === 'too_deep') throw tooDeep();
  if (shape !== 'ok') throw invalidRequest(`The request body holds more than ${limits[shape].toLocaleString('en-US')} JSON ${SHAPE_WORDS[shape]}.`, null, 'json_too_large');
  try {
    if (!raw) return {};
    if (!STRICT_JSON.test(raw)) throw new SyntaxError('invalid JSON, only supports object and array');
    return bourne.parse(raw, { protoAction: 'error' });
  } catch (err) {
    throw bodyError(err, '') ?? err;
  }
}

/** JSON's media types (co-body's list): bodies of these types are read as text and parsed by parseJsonText. */
const JSON_TYPES = ['application/json', 'application/json-patch+json', 'application/vnd.api+json', 'application/csp-report', 'application/reports+json', 'application/scim+json'];

/**
 * Reads a JSON body as text (size limit, Content-Encoding, charset), so that
 * it is scanned for nesting before it is parsed; any other type is not read.
 * (The parser's text types are replaced by JSON_TYPES: text/plain is not read.)
 */
function socketBody(maxBytes: number): Middleware {
  return bodyParser({
    enableTypes: ['text'],
    extendTypes: { text: JSON_TYPES },
    textLimit: maxBytes,
    encoding: 'utf-8',
    onError: (err, ctx) => {
      throw bodyError(err, ctx.get('content-encoding')) ?? err;
    },
  });
}

const tooDeep = () => invalidRequest(`The request body nests JSON objects and arrays deeper than ${MAX_JSON_DEPTH} levels.`, null, 'json_too_deep');

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
  if (exceedsDepth(ctx.request.body, MAX_JSON_DEPTH)) throw tooDeep();
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

const SHAPE_WORDS = { containers: 'objects and arrays', members: 'object members', values: 'values' } as const;

/**
 * One pass over JSON text, no allocation: whether it opens more than
 * `limits.depth` objects/arrays at once, or holds more containers, object
 * members (colons) or values (commas) than allowed (what is inside strings
 * does not count). Stops at the first excess.
 */
export function jsonShape(text: string, limits: JsonLimits): 'ok' | 'too_deep' | keyof typeof SHAPE_WORDS {
  let depth = 0;
  let containers = 0;
  let members = 0;
  let values = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x2c) {
      if (++values > limits.values) return 'values';
    } else if (c === 0x3a) {
      if (++members > limits.members) return 'members';
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limits.depth) return 'too_deep';
      if (++containers > limits.containers) return 'containers';
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return 'ok';
}

/** Whether JSON text opens more than `max` objects/arrays at once. */
export const nestsDeeperThan = (text: string, max: number) => jsonShape(text, { depth: max, containers: Infinity, members: Infinity, values: Infinity }) === 'too_deep';
