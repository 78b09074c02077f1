/**
 * What every cached request leaves behind, however it was answered (the Koa
 * app or the exact-hit lane): its count by HTTP status and tier, its latency,
 * the tokens a hit saved, and one access line with ids, status and timing —
 * never the prompt or the token.
 */
import type { Logger } from 'pino';
import { SAVED_TIERS, type Metrics, type Tier } from '../metrics';
import type { Saved, UsageLedger } from '../ops/dashboard/usage';

// Chat and embeddings say prompt/completion_tokens; the Responses API says input/output_tokens.
const TOKEN_TYPES = [
  ['prompt', 'prompt_tokens', 'input_tokens'],
  ['completion', 'completion_tokens', 'output_tokens'],
] as const;

export interface CachedRequest {
  requestId: string;
  route: string;
  status: number;
  tier: Tier;
  ms: number;
  fillId?: string;
  /** The served completion's usage, on hits. */
  usage?: unknown;
  /** The gateway key that asked (keys mode), for the dashboard's per-key usage. */
  keyId?: string;
  /** The answer's `model` field (a string, when the answer has one), for the dashboard's cost estimate. */
  model?: unknown;
}

export class RequestRecord {
  private readonly counters = new Map<string, CounterChild>();
  private readonly histograms = new Map<string, HistogramChild>();

  constructor(
    private readonly metrics: Metrics,
    private readonly log: Logger,
    /** The admin dashboard's in-process counts (ops/dashboard/usage.ts). */
    private readonly ledger?: UsageLedger,
  ) {}

  record(request: CachedRequest): void {
    const { requestId, route, status, tier, ms, fillId } = request;
    this.requests(status, tier).inc();
    this.latency(tier).observe(ms / 1000);
    // Written by the root logger with the request id as its first field: the same line a child logger writes.
    this.log.info({ requestId, route, status, tier, ms: Math.round(ms), fillId }, 'cached request');
    // A request that joined another's provider call saved its tokens like a hit.
    const hit = SAVED_TIERS.has(tier);
    const saved = hit ? this.countSavedTokens(request.usage) : undefined;
    const model = typeof request.model === 'string' ? request.model : undefined;
    this.ledger?.record({ tier, ms, hit, keyId: request.keyId, model, saved });
  }

  private countSavedTokens(usage: unknown): Saved {
    const saved: Saved = { prompt: 0, completion: 0 };
    if (!usage || typeof usage !== 'object') return saved;
    for (const [type, name, alias] of TOKEN_TYPES) {
      const n = (usage as Record<string, unknown>)[name] ?? (usage as Record<string, unknown>)[alias];
      if (typeof n === 'number' && n > 0) {
        this.tokensSaved(type).inc(n);
        saved[type] = n;
      }
    }
    return saved;
  }

  // prom-client validates and hashes the label object on every call: each label set's child is looked up once.
  private requests(status: number, tier: Tier): CounterChild {
    return once(this.counters, `requests ${status} ${tier}`, () => this.metrics.requests.labels({ status: String(status), tier }));
  }

  private latency(tier: Tier): HistogramChild {
    return once(this.histograms, tier, () => this.metrics.latency.labels({ tier }));
  }

  private tokensSaved(type: (typeof TOKEN_TYPES)[number][0]): CounterChild {
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
