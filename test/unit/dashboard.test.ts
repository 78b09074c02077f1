/** The admin dashboard's parts: its session cookie, the usage it counts, latency percentiles, prices. */
import { AdminSessions } from '../../src/api/middleware/adminSession';
import { loadConfig } from '../../src/config';
import { Metrics } from '../../src/metrics';
import { histogramQuantile, latencyByTier } from '../../src/ops/dashboard/overview';
import { costOf, DEFAULT_PRICES, priceOf } from '../../src/ops/dashboard/prices';
import { BUCKET_MS, UsageLedger } from '../../src/ops/dashboard/usage';
import { workflowLink } from '../../src/ops/dashboard/fills';

describe('session cookie', () => {
  const sessions = new AdminSessions('admin-token');
  test('valid until it expires, on any replica with the same token; holds no token', () => {
    const cookie = sessions.issue(1_000);
    expect(cookie).not.toContain('admin-token');
    expect(new AdminSessions('admin-token').valid(cookie, 2_000)).toBe(true);
    expect(sessions.valid(cookie, 1_000 + 12 * 3_600_000 + 1)).toBe(false);
  });
  test('another token, a changed expiry or a forged mac is refused', () => {
    const cookie = sessions.issue();
    expect(new AdminSessions('other-token').valid(cookie)).toBe(false);
    const [expiry, nonce, mac] = cookie.split('.');
    expect(sessions.valid(`${Number(expiry) + 1e9}.${nonce}.${mac}`)).toBe(false);
    expect(sessions.valid(`${expiry}.${nonce}.${mac!.slice(0, -2)}AA`)).toBe(false);
    for (const bad of [undefined, '', 'x', 'a.b', 'a.b.c.d']) expect(sessions.valid(bad)).toBe(false);
  });
});

describe('usage ledger', () => {
  test('counts requests and latency per tier in ten-second buckets, and per key and model', () => {
    const ledger = new UsageLedger();
    const t0 = 1_700_000_000_000;
    ledger.record({ tier: 'MISS', ms: 300, hit: false, keyId: 'key_a', model: 'gpt-4o-mini' }, t0);
    ledger.record({ tier: 'HIT_L1_EXACT', ms: 2, hit: true, keyId: 'key_a', model: 'gpt-4o-mini', saved: { prompt: 10, completion: 20 } }, t0 + 1);
    ledger.record({ tier: 'HIT_L3_VERIFIED', ms: 30, hit: true, model: 'gpt-4o-mini', saved: { prompt: 5, completion: 5 } }, t0 + BUCKET_MS);
    const history = ledger.history(t0 + BUCKET_MS);
    expect(history.map((b) => b.requests)).toEqual([{ MISS: 1, HIT_L1_EXACT: 1 }, { HIT_L3_VERIFIED: 1 }]);
    expect(history[0]!.ms).toEqual({ MISS: 300, HIT_L1_EXACT: 2 });
    expect(ledger.keys()).toEqual({ key_a: { requests: 2, hits: 1, saved: { prompt: 10, completion: 20 } } });
    expect(ledger.models()).toEqual({ 'gpt-4o-mini': { hits: 2, prompt: 15, completion: 25 } });
  });
  test('keeps an hour; quiet buckets in between show as zero', () => {
    const ledger = new UsageLedger();
    const t0 = 1_700_000_000_000;
    ledger.record({ tier: 'MISS', ms: 1, hit: false }, t0);
    ledger.record({ tier: 'MISS', ms: 1, hit: false }, t0 + 3 * BUCKET_MS);
    expect(ledger.history(t0 + 3 * BUCKET_MS).map((b) => b.requests.MISS ?? 0)).toEqual([1, 0, 0, 1]);
    ledger.record({ tier: 'MISS', ms: 1, hit: false }, t0 + 2 * 3_600_000);
    expect(ledger.history(t0 + 2 * 3_600_000)).toHaveLength(1);
  });
});

describe('latency percentiles', () => {
  test('as histogram_quantile: linear inside the bucket that holds the rank', () => {
    const buckets: [number, number][] = [[0.1, 50], [0.2, 100], [Infinity, 100]];
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.1);
    expect(histogramQuantile(0.75, buckets)).toBeCloseTo(0.15);
    expect(histogramQuantile(0.99, [[0.1, 0], [Infinity, 10]])).toBe(0.1);
  });
  test('per tier from the registry, in ms', async () => {
    const metrics = new Metrics();
    for (let i = 0; i < 100; i++) metrics.latency.observe({ tier: 'MISS' }, 0.3);
    metrics.latency.observe({ tier: 'HIT_L1_EXACT' }, 0.0007);
    const latency = await latencyByTier(metrics);
    expect(latency.MISS!.p50).toBeGreaterThan(250);
    expect(latency.MISS!.p50).toBeLessThanOrEqual(500);
    expect(latency.HIT_L1_EXACT!.p99).toBeLessThanOrEqual(1);
  });
});

describe('prices', () => {
  test('a dated snapshot takes its family price; an unknown model has none', () => {
    expect(priceOf('gpt-4o-mini-2024-07-18', DEFAULT_PRICES)).toEqual(DEFAULT_PRICES['gpt-4o-mini']);
    expect(priceOf('gpt-4o-2024-08-06', DEFAULT_PRICES)).toEqual(DEFAULT_PRICES['gpt-4o']);
    expect(costOf('gpt-4o-mini', { prompt: 1_000_000, completion: 1_000_000 }, DEFAULT_PRICES)).toBeCloseTo(0.75);
    expect(costOf('my-local-llama', { prompt: 1, completion: 1 }, DEFAULT_PRICES)).toBeUndefined();
  });
  test('REFLEX_PRICES adds to and overrides the defaults; bad JSON stops the start', () => {
    const config = loadConfig({ REFLEX_PRICES: '{"my-model": {"prompt": 1, "completion": 2}, "gpt-4o": {"prompt": 0, "completion": 0}}' });
    expect(config.prices['my-model']).toEqual({ prompt: 1, completion: 2 });
    expect(config.prices['gpt-4o']).toEqual({ prompt: 0, completion: 0 });
    expect(config.prices['gpt-4o-mini']).toEqual(DEFAULT_PRICES['gpt-4o-mini']);
    expect(() => loadConfig({ REFLEX_PRICES: '{"m": {"prompt": -1, "completion": 1}}' })).toThrow(/REFLEX_PRICES/);
    expect(() => loadConfig({ REFLEX_PRICES: 'not json' })).toThrow(/REFLEX_PRICES/);
  });
  test('fill links point into the configured Temporal UI', () => {
    expect(loadConfig({}).temporalUiUrl).toBe('http://127.0.0.1:8233');
    expect(workflowLink({ uiUrl: 'https://t.example.com', namespace: 'default' }, 'fill-a-b', 'run')).toBe('https://t.example.com/namespaces/default/workflows/fill-a-b/run/history');
  });
});
