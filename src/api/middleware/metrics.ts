/**
 * Koa middleware that counts chat requests from what the handler already
 * says: the X-Reflex-Status header (tier), the HTTP status, and the cached
 * usage on hits. It never reaches into the handler; mounted outside the
 * error middleware, so it sees the status the client gets.
 */
import type { Context, Next } from 'koa';
import { type Metrics, tierOf } from '../../metrics';

/** The cached routes; each says its tier in X-Reflex-Status. */
const CACHED_ROUTES = new Set(['/v1/chat/completions', '/v1/responses', '/v1/embeddings']);
const HITS = new Set(['HIT_L1_EXACT', 'HIT_L3_VERIFIED']);

export function httpMetrics(metrics: Metrics) {
  return async (ctx: Context, next: Next): Promise<void> => {
    if (ctx.method !== 'POST' || !CACHED_ROUTES.has(ctx.path)) return next();
    const stopTimer = metrics.latency.startTimer();
    try {
      await next();
    } finally {
      const tier = tierOf(ctx.response.get('X-Reflex-Status'));
      metrics.requests.inc({ status: String(ctx.status), tier });
      const seconds = stopTimer({ tier });
      // One line per request: ids, status and timing only, never the prompt or the token.
      ctx.state.log?.info({ route: ctx.path, status: ctx.status, tier, ms: Math.round(seconds * 1000), fillId: ctx.response.get('X-Reflex-Fill-Id') || undefined }, 'cached request');
      if (HITS.has(tier)) countSavedTokens(metrics, ctx);
    }
  };
}

function countSavedTokens(metrics: Metrics, ctx: Context): void {
  // A streamed hit leaves its usage in ctx.state; a JSON hit carries it in the body.
  const usage = (ctx.state.usage ?? (ctx.body as { usage?: unknown } | undefined)?.usage) as Record<string, unknown> | undefined;
  if (!usage || typeof usage !== 'object') return;
  // Chat and embeddings say prompt/completion_tokens; the Responses API says input/output_tokens.
  for (const [type, alias] of [['prompt', 'input'], ['completion', 'output']] as const) {
    const n = usage[`${type}_tokens`] ?? usage[`${alias}_tokens`];
    if (typeof n === 'number' && n > 0) metrics.tokensSaved.inc({ type }, n);
  }
}
