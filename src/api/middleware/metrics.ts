/**
 * Koa middleware that records each cached request (requestRecord.ts) from
 * what the handler already says: the X-Reflex-Status header (tier), the HTTP
 * status, and the cached usage on hits. It never reaches into the handler;
 * mounted outside the error middleware, so it sees the status the client gets.
 */
import type { Context, Next } from 'koa';
import { tierOf } from '../../metrics';
import type { Caller } from '../../auth/authenticate';
import type { RequestRecord } from '../requestRecord';

/** The cached routes; each says its tier in X-Reflex-Status. */
export const CACHED_ROUTES = new Set(['/v1/chat/completions', '/v1/responses', '/v1/embeddings']);

export function httpMetrics(record: RequestRecord) {
  return async (ctx: Context, next: Next): Promise<void> => {
    if (ctx.method !== 'POST' || !CACHED_ROUTES.has(ctx.path)) return next();
    const started = performance.now();
    try {
      await next();
    } finally {
      record.record({
        requestId: ctx.state.requestId,
        route: ctx.path,
        status: ctx.status,
        tier: tierOf(ctx.response.get('X-Reflex-Status')),
        ms: performance.now() - started,
        fillId: ctx.response.get('X-Reflex-Fill-Id') || undefined,
        // A streamed hit leaves its usage in ctx.state; a JSON hit carries it in the body.
        usage: ctx.state.usage ?? (ctx.body as { usage?: unknown } | undefined)?.usage,
        keyId: (ctx.state.caller as Caller | undefined)?.key?.id,
        model: ctx.state.model ?? (ctx.body as { model?: unknown } | null | undefined)?.model,
      });
    }
  };
}
