/**
 * Everything the admin dashboard shows, in one JSON answer (GET
 * /admin/overview): this replica's requests, hit rates and latency by tier
 * (from its metrics registry), tokens and an estimated cost saved (per model,
 * priced by the configured table), requests over time, the outbox and
 * degraded state, per-key usage, the stored entries, and fills from Temporal
 * visibility (cluster-wide).
 */
import type { KeyStore } from '../../auth/keyStore';
import { describeKey } from '../../auth/keyStore';
import type { TenantHasher } from '../../cache/keys/tenant';
import type { EntryStore } from '../../cache/storage/entryStore';
import type { Outbox } from '../../miss/outbox/outbox';
import type { Metrics, WrongHitEstimate } from '../../metrics';
import { collectStats } from '../stats';
import { fillsView, FillsSource } from './fills';
import { costOf, priceOf, PriceTable } from './prices';
import type { UsageLedger } from './usage';
import type { FleetCounts } from './fleet';

export interface OverviewDeps {
  metrics: Metrics;
  usage: UsageLedger;
  store: EntryStore;
  outbox: Outbox;
  keys: KeyStore;
  tenants: TenantHasher;
  degraded: () => boolean;
  prices: PriceTable;
  fills: FillsSource;
  /** Replica-wide numbers (PostgreSQL only). */
  fleet?: FleetCounts;
  /** The audits' wrong-hit estimate per tenant and "all" (issue 28), and the settings it is read with. */
  wrongHits: () => Promise<{ rate: number; delta: number | null; judge: string; estimates: WrongHitRow[] }>;
}

/** An estimate as JSON carries it: a closed floor (no semantic hits; +Infinity) is null. */
export type WrongHitRow = Omit<WrongHitEstimate, 'floor'> & { floor?: number | null };

export const wrongHitRow = (e: WrongHitEstimate): WrongHitRow => (e.floor === Infinity ? { ...e, floor: null } : e);

/** How many outbox records the page counts before it says "at least". */
const OUTBOX_COUNTED = 1000;
const QUANTILES = [0.5, 0.95, 0.99] as const;

export async function overview(deps: OverviewDeps) {
  const [stats, latency, outbox, keys, fills, counters, fleet, wrongHits] = await Promise.all([
    collectStats(deps.store, deps.metrics),
    latencyByTier(deps.metrics),
    pendingOutbox(deps.outbox),
    keyUsage(deps),
    fillsView(deps.fills),
    fillCounters(deps.metrics),
    fleetView(deps),
    deps.wrongHits(),
  ]);
  return {
    scope: 'requests, latency, tokens saved and key usage: this replica since it started; fleet (with PostgreSQL): every replica, the last hour; fill counters: the worker in this process (none under `reflex api`); fills listed: the whole Temporal namespace',
    generatedAt: new Date().toISOString(),
    stats,
    latency,
    saved: savings(deps.usage, deps.prices),
    history: deps.usage.history(),
    degraded: deps.degraded(),
    outbox,
    keys,
    fills: { counters, temporal: fills },
    fleet,
    wrongHits,
  };
}

/** Every replica's last hour, priced like this replica's savings; null without PostgreSQL, or while it cannot answer. */
async function fleetView(deps: OverviewDeps) {
  const window = await deps.fleet?.window(60).catch(() => undefined);
  if (!window) return null;
  const r = window.requests;
  const lookups = (r.HIT_L1_EXACT ?? 0) + (r.HIT_L3_VERIFIED ?? 0) + (r.MISS ?? 0) + (r.JOINED ?? 0);
  const rate = (n = 0) => (lookups ? n / lookups : 0);
  return { ...window, hitRate: { total: rate((r.HIT_L1_EXACT ?? 0) + (r.HIT_L3_VERIFIED ?? 0)), joined: rate(r.JOINED) } };
}

function savings(usage: UsageLedger, prices: PriceTable) {
  const models = Object.entries(usage.models()).map(([model, s]) => ({ model, hits: s.hits, prompt: s.prompt, completion: s.completion, usd: costOf(model, s, prices), priced: priceOf(model, prices) !== undefined }));
  const total = (f: (m: (typeof models)[number]) => number) => models.reduce((sum, m) => sum + f(m), 0);
  return { tokens: { prompt: total((m) => m.prompt), completion: total((m) => m.completion) }, usd: total((m) => m.usd ?? 0), models, unpriced: models.filter((m) => !m.priced).map((m) => m.model) };
}

/** Percentiles per tier, read from the latency histogram's buckets the way Prometheus' histogram_quantile does. */
export async function latencyByTier(metrics: Metrics): Promise<Record<string, Record<string, number>>> {
  const buckets = new Map<string, [number, number][]>();
  for (const v of (await metrics.latency.get()).values) {
    if (v.metricName !== 'reflex_request_duration_seconds_bucket') continue;
    const tier = String(v.labels.tier);
    const le = (v.labels as Record<string, unknown>).le;
    buckets.set(tier, [...(buckets.get(tier) ?? []), [le === '+Inf' ? Infinity : Number(le), v.value]]);
  }
  const out: Record<string, Record<string, number>> = {};
  for (const [tier, list] of buckets) {
    const sorted = list.sort((a, b) => a[0] - b[0]);
    if (!sorted.at(-1)?.[1]) continue;
    out[tier] = Object.fromEntries(QUANTILES.map((q) => [`p${q * 100}`, histogramQuantile(q, sorted) * 1000]));
  }
  return out;
}

/** q-quantile of cumulative [upper bound, count] buckets (the last is +Inf), linear within a bucket. */
export function histogramQuantile(q: number, buckets: [number, number][]): number {
  const total = buckets.at(-1)![1];
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (le === Infinity) return lowerBound;
      return lowerBound + (le - lowerBound) * ((rank - lowerCount) / Math.max(1, count - lowerCount));
    }
    [lowerBound, lowerCount] = [le, count];
  }
  return lowerBound;
}

async function pendingOutbox(outbox: Outbox): Promise<{ pending: number; atLeast: boolean }> {
  let pending = 0;
  for await (const _ of outbox.list()) if (++pending >= OUTBOX_COUNTED) return { pending, atLeast: true };
  return { pending, atLeast: false };
}

async function keyUsage(deps: OverviewDeps) {
  const used = deps.usage.keys();
  return (await deps.keys.list()).map((key) => ({ ...describeKey(key, deps.tenants), usage: used[key.id] ?? { requests: 0, hits: 0, saved: { prompt: 0, completion: 0 } } }));
}

async function fillCounters(metrics: Metrics) {
  const sum = async (counter: Metrics['fillsFailed']) => {
    const byOutcome: Record<string, number> = {};
    for (const v of (await counter.get()).values) byOutcome[String(v.labels.outcome ?? 'all')] = v.value;
    return byOutcome;
  };
  const started = (await metrics.fillsStarted.get()).values[0]?.value ?? 0;
  return { started, completed: await sum(metrics.fillsCompleted), failed: await sum(metrics.fillsFailed) };
}
