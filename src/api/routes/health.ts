/**
 * GET /healthz: the process is up. GET /ready: 200 when the gateway can
 * answer; the JSON names each dependency. Temporal alone being down is
 * `degraded` (still 200): hits are served and misses are answered from the
 * provider directly, their answers kept in the outbox until Temporal is back.
 * Anything else down is 503.
 */
import type { Context } from 'koa';
import { withDeadline } from '../../deadline';
import type { ApiServices } from '../../services';

type Check = () => Promise<unknown>;

const PROBE_TIMEOUT_MS = 2_000;

export function healthz(ctx: Context): void {
  ctx.body = { status: 'ok' };
}

export function ready({ temporal, index, store, embedder, health, verifier }: Pick<ApiServices, 'temporal' | 'index' | 'store' | 'embedder' | 'health' | 'verifier'>) {
  const checks: Record<string, Check> = {
    temporal: () => temporal.withDeadline(Date.now() + PROBE_TIMEOUT_MS, () => temporal.workflowService.getSystemInfo({})),
    milvus: () => index.check(),
    storage: () => store.checkWritable(),
    // A real (tiny) inference: the model must still answer, not merely have loaded once.
    model: () => embedder.embed('ready'),
  };
  return async (ctx: Context): Promise<void> => {
    const names = Object.keys(checks);
    const results = await Promise.all(names.map((n) => probe(checks[n]!)));
    const report = Object.fromEntries(names.map((n, i) => [n, results[i]]));
    const failing = names.filter((_, i) => !results[i]!.ok);
    if (report.temporal?.ok) health.succeeded();
    else health.failed();
    const degraded = failing.length === 1 && failing[0] === 'temporal';
    ctx.status = failing.length === 0 || degraded ? 200 : 503;
    // verifier: which L3 decides semantic hits ("model" or "guards"); `reflex eval` reports it next to its figures.
    ctx.body = { status: failing.length === 0 ? 'ready' : degraded ? 'degraded' : 'not_ready', ...(degraded ? { degraded: ['temporal'] } : {}), verifier: verifier.kind, checks: report };
  };
}

async function probe(check: Check): Promise<{ ok: boolean; error?: string }> {
  try {
    await withDeadline(check(), PROBE_TIMEOUT_MS, () => new Error('timed out'));
    return { ok: true };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}
