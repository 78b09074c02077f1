/**
 * HTTP-level refusals as OpenAI-shaped errors: a method the route does not
 * serve (or that the gateway does not implement at all) is a 405 with Allow,
 * and an HTTP/1.1 request without Host is a 400 (the server's own check
 * would answer with an empty body, so it is turned off and done here).
 */
import type { Context, Next } from 'koa';
import { GatewayError, invalidRequest } from '../../errors';

/** Every method some gateway route answers; the Allow of a path no route knows. */
export const GATEWAY_METHODS = 'GET, HEAD, POST, DELETE, OPTIONS';

/**
 * What no route answered, as an OpenAI-shaped error. It wraps the router's
 * allowedMethods() (without throw), which leaves a bare 405 (method known, not
 * on this route) or 501 (method unknown to the router) with an Allow header:
 * both become a 405 with a body. A path no route knows is a 404.
 */
export async function unrouted(ctx: Context, next: Next): Promise<void> {
  await next();
  if ((ctx.status === 405 || ctx.status === 501) && ctx.body == null) {
    const allow = ctx.response.get('Allow') || GATEWAY_METHODS;
    throw methodError(ctx.method, ctx.path, allow);
  }
  if (ctx.status === 404 && ctx.body === undefined) {
    throw new GatewayError(404, `Unknown route ${ctx.method} ${clipPath(ctx.path)}.`, 'invalid_request_error', 'unknown_url');
  }
}

export function methodError(method: string, path: string, allow = GATEWAY_METHODS): GatewayError {
  return new GatewayError(405, `Method ${method} is not allowed on ${clipPath(path)}; allowed: ${allow}.`, 'invalid_request_error', 'method_not_allowed', null, { Allow: allow });
}

/** A path as echoed in an error message (paths may be kilobytes long). */
export const clipPath = (path: string) => (path.length > 200 ? `${path.slice(0, 200)}…` : path);

// Checks that only look before the request goes on are plain functions returning next():
// an async wrapper would add a promise to every request for nothing.
export function requireHost(ctx: Context, next: Next): Promise<void> {
  if (ctx.req.httpVersionMajor === 1 && ctx.req.httpVersionMinor >= 1 && !ctx.req.headers.host) {
    throw invalidRequest('HTTP/1.1 requests must carry a Host header.', 'Host', 'missing_host');
  }
  return next();
}
