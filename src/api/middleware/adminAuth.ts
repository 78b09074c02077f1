/**
 * Guards /admin: off (404, as if absent) when REFLEX_ADMIN_TOKEN is unset;
 * otherwise the bearer token must match, or the dashboard's session cookie
 * be valid (./adminSession.ts; changes also need the dashboard's header).
 * Both sides are hashed first so the comparison is constant-time regardless
 * of length, and the token itself is never logged or kept, only its digest.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import { GatewayError } from '../../errors';
import { bearerToken } from '../../cache/keys/tenant';
import { AdminSessions, SESSION_COOKIE } from './adminSession';

const digest = (s: string) => createHash('sha256').update(s).digest();

export function adminAuth(adminToken: string | undefined) {
  const expected = adminToken ? digest(adminToken) : undefined;
  const sessions = adminToken ? new AdminSessions(adminToken) : undefined;
  return async (ctx: Context, next: Next): Promise<void> => {
    if (!expected || !sessions) throw disabled();
    const given = bearerToken(ctx.get('authorization'));
    if (given ? !isAdminToken(given, expected) : !sessions.valid(ctx.cookies?.get(SESSION_COOKIE))) {
      throw new GatewayError(401, 'A valid admin bearer token (or dashboard session) is required.', 'authentication_error', 'invalid_admin_token');
    }
    // A cookie goes with any request the browser makes; a change must also carry a header no other site can set.
    if (!given && !SAFE_METHODS.has(ctx.method) && ctx.get(DASHBOARD_HEADER) !== '1') {
      throw new GatewayError(403, `A dashboard session changes nothing without the ${DASHBOARD_HEADER} header.`, 'permission_error', 'missing_dashboard_header');
    }
    await next();
  };
}

/** Sent by the dashboard's own requests (a cross-site page cannot set it without a CORS preflight, which is refused). */
export const DASHBOARD_HEADER = 'x-reflex-dashboard';
const SAFE_METHODS = new Set(['GET', 'HEAD']);

export const disabled = () => new GatewayError(404, 'The admin API is disabled (REFLEX_ADMIN_TOKEN is not set).', 'invalid_request_error', 'admin_disabled');

/** Constant-time, whatever the lengths. */
export function isAdminToken(given: string, expected: Buffer): boolean {
  return timingSafeEqual(digest(given), expected);
}

export { digest as adminTokenDigest };

/**
 * The same check in front of everything else for /admin paths: an anonymous
 * caller learns nothing (no 405 naming the methods a path serves, no 400 from
 * its body) and makes the gateway parse no body before it is authenticated.
 */
export function onAdmin(guard: ReturnType<typeof adminAuth>) {
  return (ctx: Context, next: Next): Promise<void> => (/^\/admin(?:\/|$)/i.test(ctx.path) && !isDashboardEntry(ctx) ? guard(ctx, next) : next());
}

/** The login page, its assets and the login itself: reachable without a session (they show and hold no data). */
function isDashboardEntry(ctx: Context): boolean {
  if (ctx.method === 'POST') return ctx.path === '/admin/login' || ctx.path === '/admin/logout';
  return (ctx.method === 'GET' || ctx.method === 'HEAD') && /^\/admin(?:\/|\/assets\/[a-z.-]+)?$/.test(ctx.path);
}
