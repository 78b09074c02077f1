/**
 * The worker's side of the metrics: the workflows' metrics sink (called once
 * per real event, never on replay) and an activity interceptor that counts
 * provider calls without touching the provider activity itself.
 */
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import type { MetricsSink } from '../workflows/observe';
import type { Metrics } from '../metrics';

/** callProvider (fills started before the claim check); obtainAnswer calls the provider only when no stored or prefetched answer exists. */
const PROVIDER_ACTIVITIES = new Set(['callProvider', 'obtainAnswer']);
const PROVIDER_FAILURES = new Set(['ProviderServerError', 'ProviderClientError']);
/** An audit's provider call (activities/audit.ts), counted apart: what audits cost. */
const AUDIT_CALL = 'askAgain';

async function countAuditCall(metrics: Metrics, run: Promise<unknown>): Promise<unknown> {
  try {
    const result = await run;
    if ((result as { source?: string } | null)?.source === 'provider') metrics.auditUpstreamCalls.inc({ result: 'ok' });
    return result;
  } catch (err) {
    if (PROVIDER_FAILURES.has((err as { type?: string }).type ?? '')) metrics.auditUpstreamCalls.inc({ result: 'error' });
    throw err;
  }
}

export function metricsSinks(metrics: Metrics): InjectedSinks<MetricsSink> {
  return {
    metrics: {
      workflowStarted: { fn: (_info, kind) => metrics.workflowStarted(kind), callDuringReplay: false },
      workflowFinished: { fn: (_info, kind, outcome) => metrics.workflowFinished(kind, outcome), callDuringReplay: false },
      coalesced: { fn: () => metrics.coalesced.inc(), callDuringReplay: false },
    },
  };
}

export function upstreamCallCounter(metrics: Metrics): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        if (ctx.info.activityType === AUDIT_CALL) return countAuditCall(metrics, next(input));
        if (!PROVIDER_ACTIVITIES.has(ctx.info.activityType)) return next(input);
        const plain = ctx.info.activityType === 'callProvider';
        try {
          const result = await next(input);
          if (plain || (result as { source?: string } | null)?.source === 'provider') metrics.upstreamCalls.inc({ result: 'ok' });
          return result;
        } catch (err) {
          if (plain || PROVIDER_FAILURES.has((err as { type?: string }).type ?? '')) metrics.upstreamCalls.inc({ result: 'error' });
          throw err;
        }
      },
    },
  });
}
