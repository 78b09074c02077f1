/**
 * The HTTP surface, as a small Koa core with behaviour composed from
 * middleware: request id → OpenAI-shaped errors → Host and method checks →
 * JSON body parsing (size limit, content encodings, nesting depth) → routes.
 * It only speaks HTTP; the cache lives in the stages. What Node's parser
 * refuses never reaches Koa: see server.ts.
 */
import Router from '@koa/router';
import Koa from 'koa';
import { httpMetrics } from './middleware/metrics';
import type { ApiServices } from '../services';
import { jsonBody, limitJsonDepth } from './middleware/body';
import { openAIErrors } from './middleware/errors';
import { requireHost, unrouted } from './middleware/protocol';
import { requestId } from './middleware/requestId';
import { chatCompletions } from './routes/chat';
import { adminRoutes } from './routes/admin';
import { healthz, ready } from './routes/health';
import { metricsRoute } from './routes/metrics';
import { models } from './routes/models';

export function createApp(services: ApiServices): Koa {
  const router = new Router();
  router.post('/v1/chat/completions', chatCompletions(services));
  const listModels = models(services.config.upstream);
  router.get('/v1/models', listModels);
  router.get('/v1/models/:model', listModels);
  router.get('/healthz', healthz);
  router.get('/ready', ready(services));
  router.get('/metrics', metricsRoute(services.metrics));
  const admin = adminRoutes({ ...services, adminToken: services.config.adminToken });

  const app = new Koa();
  app.use(requestId(services.log));
  app.use(httpMetrics(services.metrics, services.log));
  app.use(openAIErrors);
  app.use(requireHost);
  app.use(unrouted);
  app.use(jsonBody(services.config.maxBodyBytes));
  app.use(limitJsonDepth);
  app.use(router.routes());
  app.use(admin.routes());
  app.use(router.allowedMethods());
  return app;
}
