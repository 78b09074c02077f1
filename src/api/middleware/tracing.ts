/**
 * The request's span: the root of its trace (or a child of the caller's, if
 * it sent a W3C traceparent). Everything the handler does runs inside it, so
 * the fill's Temporal start/update, and through its headers the workflow and
 * activities, join the same trace. Attributes: route, status, the cache tier
 * (X-Reflex-Status), the tenant as the gateway's own hash (never the token)
 * and the fill id. Mounted only when tracing is on.
 */
import { SpanKind, SpanStatusCode, Tracer, context, propagation, trace } from '@opentelemetry/api';
import type { Context, Next } from 'koa';
import type { Caller } from '../../auth/authenticate';

export function requestTracing(tracer: Tracer) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const parent = propagation.extract(context.active(), ctx.headers);
    const span = tracer.startSpan(`${ctx.method} ${ctx.path}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': ctx.method, 'url.path': ctx.path } }, parent);
    try {
      await context.with(trace.setSpan(parent, span), next);
    } finally {
      const header = (name: string) => ctx.response.get(name) || undefined;
      // The gateway's own tenant hash (set by gatewayAuth on /v1), never the token.
      const caller = ctx.state.caller as Caller | undefined;
      span.setAttributes({
        'http.route': (ctx as { _matchedRoute?: string })._matchedRoute ?? ctx.path,
        'http.response.status_code': ctx.status,
        ...(caller ? { 'reflex.tenant': caller.tenant.id } : {}),
        ...(header('X-Reflex-Status') ? { 'reflex.cache.tier': header('X-Reflex-Status') } : {}),
        ...(header('X-Reflex-Fill-Id') ? { 'reflex.fill_id': header('X-Reflex-Fill-Id') } : {}),
        ...(ctx.state.requestId ? { 'reflex.request_id': String(ctx.state.requestId) } : {}),
      });
      if (ctx.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
  };
}
