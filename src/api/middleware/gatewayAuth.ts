/**
 * Guards /v1: identifies the caller (src/auth) and applies the key's request
 * limit. OpenAI's x-ratelimit-* headers go on every answer to a limited key;
 * a refused request gets 429 with Retry-After. It runs once per request: early
 * for any path under /v1 (before the body is parsed, so an unauthenticated
 * caller never makes the gateway read a large body) and again on each /v1
 * route, so a path spelling the prefix check misses (the router matches
 * case-insensitively) still cannot reach a route unidentified.
 */
import type { IncomingMessage } from 'node:http';
import type { Context, Next } from 'koa';
import { Authenticator } from '../../auth/authenticate';
import { KeyRateLimiter, RateDecision, rateLimitHeaders } from '../../auth/rateLimit';
import { GatewayError } from '../../errors';

const TAKEN = Symbol('reflex.rateDecision');
type WithDecision = IncomingMessage & { [TAKEN]?: RateDecision };

/**
 * The exact-hit lane took this request's point and was refused: Koa answers
 * the 429 from that decision rather than taking a second point.
 */
export function handOverDecision(req: IncomingMessage, decision: RateDecision): void {
  (req as WithDecision)[TAKEN] = decision;
}

export function gatewayAuth(auth: Authenticator, limiter: KeyRateLimiter) {
  return async (ctx: Context, next: Next): Promise<void> => {
    if (ctx.state.caller) return next();
    const caller = auth.identify(ctx.get('authorization'));
    const limit = caller.key?.rate_limit?.requests_per_minute;
    if (caller.key && limit) {
      const decision = (ctx.req as WithDecision)[TAKEN] ?? (await limiter.take(caller.key.id, limit));
      const headers = rateLimitHeaders(decision);
      if (!decision.allowed) {
        throw new GatewayError(429, `Rate limit reached for this API key: ${limit} requests per minute.`, 'rate_limit_error', 'rate_limit_exceeded', null, headers);
      }
      ctx.set(headers);
    }
    ctx.state.caller = caller;
    await next();
  };
}

/** The early pass: only paths under /v1, in any letter case. */
export function onV1(guard: ReturnType<typeof gatewayAuth>) {
  return (ctx: Context, next: Next): Promise<void> => (/^\/v1\//i.test(ctx.path) ? guard(ctx, next) : next());
}
