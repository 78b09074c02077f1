/**
 * Guards /admin: off (404, as if absent) when REFLEX_ADMIN_TOKEN is unset;
 * otherwise the bearer token must match. Both sides are hashed first so the
 * comparison is constant-time regardless of length, and the token itself is
 * never logged or kept, only its digest.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import { GatewayError } from '../../errors';
import { bearerToken } from '../../cache/keys/tenant';

const digest = (s: string) => createHash('sha256').update(s).digest();

export function adminAuth(adminToken: string | undefined) {
  const expected = adminToken ? digest(adminToken) : undefined;
  return async (ctx: Context, next: Next): Promise<void> => {
    if (!expected) throw new GatewayError(404, 'The admin API is disabled (REFLEX_ADMIN_TOKEN is not set).', 'invalid_request_error', 'admin_disabled');
    const given = bearerToken(ctx.get('authorization'));
    if (!given || !timingSafeEqual(digest(given), expected)) {
      throw new GatewayError(401, 'A valid admin bearer token is required.', 'authentication_error', 'invalid_admin_token');
    }
    await next();
  };
}

/**
 * The same check in front of everything else for /admin paths: an anonymous
 * caller learns nothing (no 405 naming the methods a path serves, no 400 from
 * its body) and makes the gateway parse no body before it is authenticated.
 */
export function onAdmin(guard: ReturnType<typeof adminAuth>) {
  return (ctx: Context, next: Next): Promise<void> => (/^\/admin(?:\/|$)/i.test(ctx.path) ? guard(ctx, next) : next());
}
