/**
 * What GET /admin/stats reports: stored entries and bytes (all tenants or
 * one), and this process's request counts by tier since start with hit
 * rates among the requests that looked the cache up (hits and misses; not
 * refresh, bypass or errors). Fleet-wide rates come from /metrics in Prometheus.
 */
import type { Metrics } from '../metrics';
import type { EntryStore } from '../cache/storage/entryStore';

export interface CacheStats {
  entries: number;
  bytes: number;
  tenants: number;
  requests: Record<string, number>;
  /** Among lookups: served from cache (l1, l3, total), and answered by another request's provider call (joined). */
  hitRate: { l1: number; l3: number; total: number; joined: number };
}

export async function collectStats(store: EntryStore, metrics: Metrics, tenant?: string): Promise<CacheStats> {
  let entries = 0;
  let bytes = 0;
  const tenants = new Set<string>();
  for await (const file of store.list(tenant)) {
    entries++;
    bytes += file.bytes;
    tenants.add(file.tenant);
  }
  const requests = await metrics.requestsByTier();
  // Only requests that looked the cache up could hit: refresh, bypass and errors never did.
  const lookedUp = (requests.HIT_L1_EXACT ?? 0) + (requests.HIT_L3_VERIFIED ?? 0) + (requests.MISS ?? 0) + (requests.JOINED ?? 0);
  const rate = (n = 0) => (lookedUp ? n / lookedUp : 0);
  const l1 = rate(requests.HIT_L1_EXACT);
  const l3 = rate(requests.HIT_L3_VERIFIED);
  return { entries, bytes, tenants: tenants.size, requests, hitRate: { l1, l3, total: l1 + l3, joined: rate(requests.JOINED) } };
}
