/**
 * The worker's side of the metrics: the workflows' metrics sink (called once
 * per real event, never on replay) and an activity interceptor that counts
 * provider calls without touching the provider activity itself.
 */
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import type { MetricsSink } from '../workflows/observe';
import type { Metrics } from '../metrics';

const PROVIDER_ACTIVITY = 'callProvider';

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
        if (ctx.info.activityType !== PROVIDER_ACTIVITY) return next(input);
        try {
          const result = await next(input);
          metrics.upstreamCalls.inc({ result: 'ok' });
          return result;
        } catch (err) {
          metrics.upstreamCalls.inc({ result: 'error' });
          throw err;
        }
      },
    },
  });
}
