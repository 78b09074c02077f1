/**
 * The HTTP surface, as a small Koa core with behaviour composed from
 * middleware: request id → OpenAI-shaped errors → Host and method checks →
 * JSON body parsing (size limit, content encodings, nesting depth) → routes.
 * It only speaks HTTP; the cache lives in the stages. What Node's parser
 * refuses never reaches Koa: see server.ts. In front of it, the exact-hit
 * lane answers repeats from L1 memory without Koa (exactLane.ts).
 */
import type { RequestListener } from 'node:http';
import Router from '@koa/router';
import Koa from 'koa';
import { gatewayAuth, onV1 } from './middleware/gatewayAuth';
import { adminAuth, onAdmin } from './middleware/adminAuth';
import { httpMetrics } from './middleware/metrics';
import type { ApiServices } from '../services';
import { jsonBody, limitJsonDepth } from './middleware/body';
import { openAIErrors } from './middleware/errors';
import { requireHost, unrouted } from './middleware/protocol';
import { requestId } from './middleware/requestId';
import { requestTracing } from './middleware/tracing';
import { chatCompletions, chatRequests } from './routes/chat';
import type { KnownRequests } from './knownRequests';
import type { ChatRequest } from './chatRequest';
import { exactLane } from './exactLane';
import { RequestRecord } from './requestRecord';
import { embeddings } from './routes/embeddings';
import { createResponse, storedResponse } from './routes/responses';
import { adminRoutes } from './routes/admin';
import { codecRoutes } from './routes/codec';
import { dashboardRoutes } from './routes/dashboard';
import { ClaimCheckResolver } from '../temporal/claimChecks';
import { healthz, ready } from './routes/health';
import { metricsRoute } from './routes/metrics';
import { models } from './routes/models';

export interface AppOptions {
  /** The embedded default with API and UI on loopback: the codec endpoint answers loopback callers without the admin token (middleware/codecAccess.ts). */
  codecLoopbackWithoutToken?: boolean;
  /** Shared with the exact-hit lane (createHandler); each app makes its own otherwise. */
  chatRequests?: KnownRequests<ChatRequest>;
  record?: RequestRecord;
}

/** What the HTTP server calls: the exact-hit lane in front of the app, unless tracing (a span per request) or REFLEX_EXACT_LANE=0 turns it off. */
export function createHandler(services: ApiServices, options: AppOptions = {}): RequestListener {
  const { config, metrics, log } = services;
  const shared = { chatRequests: chatRequests(config), record: new RequestRecord(metrics, log, services.usage) };
  const koa = createApp(services, { ...options, ...shared }).callback();
  if (!config.exactLane || services.tracing || config.responseFormat !== 'openai') return koa;
  return exactLane({ auth: services.auth, limiter: services.limiter, exact: services.exact, known: shared.chatRequests, record: shared.record, maxBodyBytes: config.maxBodyBytes }, koa);
}

export function createApp(services: ApiServices, options: AppOptions = {}): Koa {
  const { config } = services;
  const router = new Router();
  const guard = gatewayAuth(services.auth, services.limiter);
  router.post('/v1/chat/completions', guard, chatCompletions(services, options.chatRequests));
  router.post('/v1/responses', guard, createResponse(services));
  const stored = storedResponse(services.config.upstream);
  router.get('/v1/responses/:id', guard, stored);
  router.delete('/v1/responses/:id', guard, stored);
  router.get('/v1/responses/:id/input_items', guard, stored);
  router.post('/v1/responses/:id/cancel', guard, stored);
  router.post('/v1/embeddings', guard, embeddings(services));
  const listModels = models(services.config.upstream);
  router.get('/v1/models', guard, listModels);
  router.get('/v1/models/:model', guard, listModels);
  router.get('/healthz', healthz);
  router.get('/ready', ready(services));
  router.get('/metrics', metricsRoute(services.metrics));
  const admin = adminRoutes({ ...services, adminToken: services.config.adminToken });
  const dashboard = dashboardRoutes(services);
  const codec = codecRoutes({
    codec: services.codec,
    claimChecks: new ClaimCheckResolver(services.blobs, services.store),
    namespace: config.temporal.namespace,
    adminToken: config.adminToken,
    corsOrigins: config.codecCorsOrigins,
    loopbackWithoutToken: options.codecLoopbackWithoutToken ?? false,
  });

  const app = new Koa();
  app.use(requestId(services.log));
  if (services.tracing) app.use(requestTracing(services.tracing.tracer));
  app.use(httpMetrics(options.record ?? new RequestRecord(services.metrics, services.log, services.usage)));
  app.use(openAIErrors);
  app.use(requireHost);
  app.use(onAdmin(adminAuth(config.adminToken)));
  app.use(unrouted);
  app.use(onV1(guard));
  app.use(jsonBody(services.config.maxBodyBytes));
  app.use(limitJsonDepth);
  app.use(router.routes());
  app.use(dashboard.routes());
  app.use(admin.routes());
  app.use(codec.routes());
  app.use(router.allowedMethods());
  return app;
}
