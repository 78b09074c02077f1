/**
 * Koa middleware that counts chat requests from what the handler already
 * says: the X-Reflex-Status header (tier), the HTTP status, and the cached
 * usage on hits. It never reaches into the handler; mounted outside the
 * error middleware, so it sees the status the client gets.
 */
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { type Metrics, type Tier, tierOf } from '../../metrics';

const CHAT_ROUTE = '/v1/chat/completions';
const HITS = new Set(['HIT_L1_EXACT', 'HIT_L3_VERIFIED']);
const TOKEN_TYPES = ['prompt', 'completion'] as const;

export function httpMetrics(metrics: Metrics, log: Logger) {
  const series = new LabelledSeries(metrics);
  return async (ctx: Context, next: Next): Promise<void> => {
    if (ctx.path !== CHAT_ROUTE) return next();
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
      log.info({ requestId: ctx.state.requestId, status: ctx.status, tier, ms: Math.round(ms), fillId }, 'chat completion');
      if (HITS.has(tier)) countSavedTokens(series, ctx);
    }
  };
}

function countSavedTokens(series: LabelledSeries, ctx: Context): void {
  // A streamed hit leaves its usage in ctx.state; a JSON hit carries it in the body.
  const usage = (ctx.state.usage ?? (ctx.body as { usage?: unknown } | undefined)?.usage) as Record<string, unknown> | undefined;
  if (!usage || typeof usage !== 'object') return;
  for (const type of TOKEN_TYPES) {
    const n = usage[`${type}_tokens`];
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

  tokensSaved(type: (typeof TOKEN_TYPES)[number]): CounterChild {
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
