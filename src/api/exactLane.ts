/**
 * The exact-hit lane: a plain Node request listener in front of the Koa app
 * for the request a cache sees most — a byte-identical repeat of a JSON chat
 * completion whose answer is in L1 memory. Koa's context, body parser, router
 * and middleware chain cost several times the hit itself (BENCHMARKS.md, L1);
 * this answers it with the same bytes, headers, access line and metrics.
 *
 * It answers only what it can tell Koa would answer the same way: POST
 * /v1/chat/completions, Host set, plain application/json with a Content-Length
 * within the body limits, no cache-control or X-Reflex-* request header, a
 * caller that authenticates and has no rate limit, a body the chat route
 * validated before (KnownRequests), not a stream, a model the key may use, an
 * entry in L1 memory. Everything else — and any doubt — goes to the Koa app;
 * once the lane has read the body it hands the text over with the request
 * (middleware/body.ts), so Koa answers exactly as if it had read it itself.
 * A key with a request limit takes its point here, only once the lane is about
 * to answer (so Koa never takes a second one): allowed, the answer carries the
 * same x-ratelimit-* headers; refused, Koa answers the 429 from that decision.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { Authenticator, Caller, modelAllowed } from '../auth/authenticate';
import { KeyRateLimiter, RateDecision, rateLimitHeaders } from '../auth/rateLimit';
import type { ExactCache } from '../cache/l1/exactCache';
import type { Entry } from '../cache/storage/entry';
import { KnownRequests, MAX_BODY_CHARS } from './knownRequests';
import { handOverBody, PLAIN_JSON, PreReadBody } from './middleware/body';
import { handOverDecision } from './middleware/gatewayAuth';
import { requestIdFor } from './middleware/requestId';
import type { RequestRecord } from './requestRecord';
import { completionJson, hitHeaders } from './respond';

export interface ExactLaneDeps {
  auth: Authenticator;
  /** The limiter Koa's gatewayAuth uses, so a key's count is one count. */
  limiter: KeyRateLimiter;
  exact: ExactCache;
  /** The chat route's own KnownRequests: the lane only serves bodies that route has validated. */
  known: Pick<KnownRequests<{ model?: unknown; stream?: unknown }>, 'peek'>;
  record: RequestRecord;
  maxBodyBytes: number;
}

const ROUTE = '/v1/chat/completions';
const NO_HEADERS: Record<string, string> = {};
/** Request headers that change what the route does (cache/controls.ts) or may be refused by it. */
const CONTROL_HEADERS = ['cache-control', 'x-reflex-cache', 'x-reflex-threshold', 'x-reflex-format'];

export function exactLane(deps: ExactLaneDeps, koa: RequestListener): RequestListener {
  // Known bodies are at most MAX_BODY_CHARS long, and a UTF-8 text has no more characters than bytes.
  const maxBytes = Math.min(deps.maxBodyBytes, MAX_BODY_CHARS);
  return (req, res) => {
    const started = performance.now();
    const caller = plainRequest(req, maxBytes) ? plainCaller(deps.auth, req) : undefined;
    if (!caller) return koa(req, res);
    readBody(req, (body) => {
      const handOver = () => {
        handOverBody(req, body);
        koa(req, res);
      };
      // Nothing here is expected to throw. If it did: before the answer began, the full path
      // decides (it reports errors properly); a begun answer cannot be finished, so its socket goes.
      let entry: Entry | undefined;
      try {
        entry = 'raw' in body ? l1Hit(deps, caller, body.raw) : undefined;
      } catch {
        entry = undefined;
      }
      if (!entry) return handOver();
      const found = entry;
      const respond = (headers: Record<string, string>) => {
        try {
          answer(deps, res, found, headers, requestIdFor(req.headers['x-request-id'] as string | undefined), started, caller.key?.id);
        } catch {
          if (!res.headersSent) handOver();
          else if (!res.writableEnded) res.destroy();
        }
      };
      const limit = caller.key?.rate_limit?.requests_per_minute;
      if (!caller.key || !limit) return respond(NO_HEADERS);
      const decided = (decision: RateDecision) => {
        handOverDecision(req, decision); // should Koa answer after all, this point is the request's only one
        if (decision.allowed) respond(rateLimitHeaders(decision));
        else handOver();
      };
      // Counted in memory: decided in this tick. Shared through PostgreSQL: one round trip.
      const now = deps.limiter.takeNow(caller.key.id, limit);
      if (now) return decided(now);
      deps.limiter.take(caller.key.id, limit).then(decided, handOver);
    });
  };
}

function plainRequest(req: IncomingMessage, maxBytes: number): boolean {
  if (req.method !== 'POST' || req.url !== ROUTE) return false;
  const headers = req.headers;
  if (!headers.host || !PLAIN_JSON.has(headers['content-type'] ?? '')) return false;
  if (headers['content-encoding'] !== undefined || headers['transfer-encoding'] !== undefined) return false;
  const length = Number(headers['content-length']);
  if (!(length <= maxBytes)) return false; // NaN (no Content-Length) included
  return CONTROL_HEADERS.every((name) => headers[name] === undefined);
}

/** The caller, when it authenticates. */
function plainCaller(auth: Authenticator, req: IncomingMessage): Caller | undefined {
  try {
    return auth.identify(req.headers.authorization ?? '');
  } catch {
    return undefined; // Koa answers the 401
  }
}

/** Reads the body as UTF-8 text, BOM dropped as co-body's decoder does; or learns that the client aborted. */
function readBody(req: IncomingMessage, done: (body: PreReadBody) => void): void {
  const chunks: Buffer[] = [];
  let settled = false;
  const finish = (body: PreReadBody) => {
    if (settled) return;
    settled = true;
    done(body);
  };
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.once('end', () => {
    // Decoded once at the end, so a character split across chunks decodes whole.
    const text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8');
    finish({ raw: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text });
  });
  req.once('error', () => finish({ aborted: true }));
  req.once('close', () => {
    if (!req.complete) finish({ aborted: true });
  });
}

function l1Hit(deps: ExactLaneDeps, caller: Caller, raw: string): Entry | undefined {
  // The same text passed co-body and the chat schema before: what it said then, it says now.
  const known = deps.known.peek(raw);
  if (!known || known.stream) return undefined; // a stream is an SSE replay: Koa's
  if (known.model !== undefined && !modelAllowed(caller, known.model)) return undefined; // Koa's 403
  return deps.exact.getInMemory(caller.tenant.id, known.identity.key);
}

function answer(deps: ExactLaneDeps, res: ServerResponse, entry: Entry, rateHeaders: Record<string, string>, requestId: string, started: number, keyId: string | undefined): void {
  const { text, bytes } = completionJson(entry.response);
  // A flat [name, value, …] list: writeHead takes it as is, where an object spread per hit cost measurably more.
  const head: string[] = ['X-Request-Id', requestId, 'X-Reflex-Format', 'openai', 'Content-Type', 'application/json; charset=utf-8', 'Content-Length', String(bytes)];
  for (const headers of [hitHeaders({ status: 'HIT_L1_EXACT', entry }), rateHeaders]) for (const name in headers) head.push(name, headers[name]!);
  res.writeHead(200, head);
  res.end(text); // a string goes out with the head in one write; a Buffer would take a writev of two
  deps.record.record({ requestId, route: ROUTE, status: 200, tier: 'HIT_L1_EXACT', ms: performance.now() - started, usage: entry.response.usage, keyId, model: entry.response.model });
}
