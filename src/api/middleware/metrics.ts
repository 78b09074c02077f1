/**
 * Koa middleware that counts chat requests from what the handler already
 * says: the X-Reflex-Status header (tier), the HTTP status, and the cached
 * usage on hits. It never reaches into the handler; mounted outside the
 * error middleware, so it sees the status the client gets.
 */
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { type Metrics, type Tier, tierOf } from '../../metrics';

/** The cached routes; each says its tier in X-Reflex-Status. */
const CACHED_ROUTES = new Set(['/v1/chat/completions', '/v1/responses', '/v1/embeddings']);
const HITS = new Set(['HIT_L1_EXACT', 'HIT_L3_VERIFIED']);
const TOKEN_TYPES = [['prompt', 'input'], ['completion', 'output']] as const;

export function httpMetrics(metrics: Metrics, log: Logger) {
  const series = new LabelledSeries(metrics);
  return async (ctx: Context, next: Next): Promise<void> => {
    if (ctx.method !== 'POST' || !CACHED_ROUTES.has(ctx.path)) return next();
    const started = performance.now();
    try {
      await next();
    } finally {
      const tier = tierOf(ctx.response.get('X-Reflex-Status'));
      series.requests(ctx.status, tier).inc();
      const ms = performance.now() - started;
      series.latency(tier).observe(ms / 1000);
      // One line per request: ids, status and timing only, never the prompt or the token. Written by
      // the root logger with the request id as its first field: the same line a child logger writes.
      const fillId = ctx.response.get('X-Reflex-Fill-Id') || undefined;
      log.info({ requestId: ctx.state.requestId, route: ctx.path, status: ctx.status, tier, ms: Math.round(ms), fillId }, 'cached request');
      if (HITS.has(tier)) countSavedTokens(series, ctx);
    }
  };
}

function countSavedTokens(series: LabelledSeries, ctx: Context): void {
  // A streamed hit leaves its usage in ctx.state; a JSON hit carries it in the body.
  const usage = (ctx.state.usage ?? (ctx.body as { usage?: unknown } | undefined)?.usage) as Record<string, unknown> | undefined;
  if (!usage || typeof usage !== 'object') return;
  // Chat and embeddings say prompt/completion_tokens; the Responses API says input/output_tokens.
  for (const [type, alias] of TOKEN_TYPES) {
    const n = usage[`${type}_tokens`] ?? usage[`${alias}_tokens`];
    if (typeof n === 'number' && n > 0) series.tokensSaved(type).inc(n);
  }
}

/**
 * The labelled children of the request metrics, looked up once per label set:
 * prom-client otherwise validates and hashes the label object on every call.
 */
class LabelledSeries {
  private readonly counters = new Map<string, CounterChild>();
  private readonly histograms = new Map<string, HistogramChild>();

  constructor(private readonly metrics: Metrics) {}

  requests(status: number, tier: Tier): CounterChild {
    return once(this.counters, `requests ${status} ${tier}`, () => this.metrics.requests.labels({ status: String(status), tier }));
  }

  latency(tier: Tier): HistogramChild {
    return once(this.histograms, tier, () => this.metrics.latency.labels({ tier }));
  }

  tokensSaved(type: (typeof TOKEN_TYPES)[number][0]): CounterChild {
    return once(this.counters, `tokens ${type}`, () => this.metrics.tokensSaved.labels({ type }));
  }
}

type CounterChild = ReturnType<Metrics['requests']['labels']>;
type HistogramChild = ReturnType<Metrics['latency']['labels']>;

function once<T>(map: Map<string, T>, id: string, make: () => T): T {
  let value = map.get(id);
  if (value === undefined) map.set(id, (value = make()));
  return value;
}
