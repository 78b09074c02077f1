/** GET /metrics: the Prometheus text exposition of this process's registry. */
import type { Context } from 'koa';
import type { Metrics } from '../../metrics';

export function metricsRoute(metrics: Metrics) {
  return async (ctx: Context): Promise<void> => {
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  };
}
