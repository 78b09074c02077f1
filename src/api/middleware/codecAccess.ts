/**
 * Who may call the remote codec endpoint, and the CORS headers the Temporal
 * Web UI (a browser app on another origin) needs to call it.
 *
 * The rule (DESIGN.md): the admin token (Bearer), except in the embedded
 * default. There the dev server's UI has no login and cannot send a token, so
 * a caller may go without one when all of these hold: this process runs the
 * embedded stack (`reflex start`), the API and the Temporal UI are bound to
 * loopback, the TCP peer is loopback, and a browser caller comes from an
 * allowed UI origin (so another site open in the same browser cannot use it).
 * Everything else goes through adminAuth (404 when no admin token is set).
 */
import { isIP } from 'node:net';
import type { Context, Next } from 'koa';
import { GatewayError } from '../../errors';
import { adminAuth } from './adminAuth';

const ALLOW_HEADERS = 'authorization, content-type, x-namespace';

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const host = address.replace(/^\[|\]$/g, '').replace(/^::ffff:/i, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

export interface CodecAccessOptions {
  adminToken: string | undefined;
  /** Browser origins allowed to call (the Temporal UI). */
  corsOrigins: string[];
  /** True only for the embedded default with API and UI on loopback (see above). */
  loopbackWithoutToken: boolean;
}

/** CORS for allowed origins; answers preflights itself (browsers send them without credentials). */
export function codecCors(origins: string[]) {
  const allowed = new Set(origins);
  return async (ctx: Context, next: Next): Promise<void> => {
    const origin = ctx.get('origin');
    ctx.vary('Origin');
    if (origin && allowed.has(origin)) {
      ctx.set('Access-Control-Allow-Origin', origin);
      ctx.set('Access-Control-Allow-Credentials', 'true');
    }
    if (ctx.method !== 'OPTIONS') return next();
    if (!origin || !allowed.has(origin)) {
      throw new GatewayError(403, `Origin ${origin || '(none)'} may not call the codec endpoint; list it in REFLEX_CODEC_CORS_ORIGINS.`, 'permission_error', 'origin_not_allowed');
    }
    ctx.set('Access-Control-Allow-Methods', 'POST, OPTIONS');
    ctx.set('Access-Control-Allow-Headers', ALLOW_HEADERS);
    ctx.set('Access-Control-Max-Age', '600');
    ctx.status = 204;
  };
}

export function codecAuth(options: CodecAccessOptions) {
  const allowed = new Set(options.corsOrigins);
  const withToken = adminAuth(options.adminToken);
  return async (ctx: Context, next: Next): Promise<void> => {
    const origin = ctx.get('origin');
    const open = options.loopbackWithoutToken && isLoopback(ctx.req.socket.remoteAddress) && (!origin || allowed.has(origin));
    if (open && !ctx.get('authorization')) return next();
    return withToken(ctx, next);
  };
}
