/**
 * POST /v1/chat/completions: validate, read the per-request cache controls,
 * identify (tenant + cache key), look up L1 → L2/L3 in-process, and on a miss
 * fill: through the fill workflow (JSON), or by relaying the provider's
 * stream and handing the finished answer to the workflow (stream: true);
 * see miss/missPath for coalescing, degraded mode and read-your-writes.
 */
import type { Context } from 'koa';
import { CacheControls, readControls } from '../../cache/controls';
import { GatewayError } from '../../errors';
import { CacheIdentity, cacheIdentity } from '../../cache/keys/cacheKey';
import { assertModelAllowed, Caller } from '../../auth/authenticate';
import type { LookupResult } from '../../cache/lookup';
import type { ApiServices } from '../../services';
import { MissSpec, fillIdFor } from '../../temporal/fillClient';
import { outcomeHeaders, streamMiss } from '../streaming/relay';
import { ChatRequest, parseChatRequest } from '../chatRequest';
import { Delivery, hitHeaders, respond } from '../respond';
import { SseSink } from '../sse';

/** How long a refresh waits for its new entry to be stored before answering (read-your-writes). */
const REFRESH_SETTLE_MS = 5_000;

type ChatDeps = Pick<ApiServices, 'config' | 'log' | 'lookup' | 'exact' | 'fill' | 'provider' | 'seal' | 'miss' | 'health'>;

export function chatCompletions(services: ChatDeps) {
  const { config, lookup, fill, exact, log, miss } = services;
  return async (ctx: Context): Promise<void> => {
    const t0 = performance.now();
    const request = parseChatRequest(ctx.request.body);
    const caller = ctx.state.caller as Caller; // set by gatewayAuth
    assertModelAllowed(caller, request.model);
    const controls = readControls((name) => ctx.get(name), config);
    const tenant = caller.tenant;
    const identity = cacheIdentity(request, config.keySampling);
    const delivery: Delivery = { stream: request.stream === true, includeUsage: includeUsage(request), format: controls.format };

    const found: LookupResult = controls.lookup ? await lookup.lookup(tenant, identity, { threshold: controls.threshold }) : { status: 'MISS' };
    const timing: Record<string, number> = { lookup: performance.now() - t0 };
    if (found.status !== 'MISS') return respond(ctx, found.entry.response, hitHeaders(found), delivery);
    if (controls.onlyIfCached) {
      throw new GatewayError(504, 'No cached answer for this request (only-if-cached).', 'invalid_request_error', 'cache_miss', null, { 'X-Reflex-Status': 'MISS' });
    }

    const spec = missSpec(services, ctx, request, caller, identity, controls, found.embedding);
    const apiKey = caller.providerKey;
    // A refresh answers only once its entry replaced the old one, so the next request sees it.
    const settleRefresh = async (workflowId: string | undefined) => {
      if (!controls.replace) return;
      if (workflowId) await fill.settled(workflowId, REFRESH_SETTLE_MS);
      exact.forget(tenant.id, identity.key);
    };
    const headers: Record<string, string> = { 'X-Reflex-Status': missStatus(controls) };

    if (delivery.stream) {
      // Decided before the stream opens: the header goes out first, the hand-off comes last. Claimed
      // only while Temporal is believed reachable (else the outbox keeps the answer and no fill exists yet).
      if (spec.store !== false) spec.fillId = fillIdFor(spec);
      if (spec.fillId && !services.health.degraded) headers['X-Reflex-Fill-Id'] = spec.fillId;
      const deps = { provider: services.provider, miss, log, maxAttempts: config.upstream.maxAttempts };
      const sink = new SseSink(ctx);
      return streamMiss(deps, { spec, apiKey, includeUsage: delivery.includeUsage, headers, sink, beforeEnd: settleRefresh });
    }
    const outcome = await miss.answer(spec, apiKey);
    await settleRefresh(outcome.workflowId);
    Object.assign(timing, outcome.timing);
    timing.total = performance.now() - t0;
    const serverTiming = Object.entries(timing).map(([name, ms]) => `${name};dur=${ms.toFixed(1)}`).join(', ');
    await respond(ctx, outcome.completion, { ...headers, ...outcomeHeaders(outcome), 'Server-Timing': serverTiming }, delivery);
  };
}

function missSpec(
  services: ChatDeps,
  ctx: Context,
  request: ChatRequest,
  caller: Caller,
  identity: CacheIdentity,
  controls: CacheControls,
  embedding: Float32Array | undefined,
): MissSpec {
  const { config, seal } = services;
  return {
    tenant: caller.tenant.id,
    key: identity.key,
    context: identity.context,
    model: request.model,
    semanticText: identity.semanticText,
    request,
    // Streams call the provider from the API process, so the token never needs to enter Temporal.
    sealedToken: caller.forwarded && caller.providerKey && !request.stream ? seal.seal(caller.providerKey) : undefined,
    embedding,
    requestId: ctx.state.requestId,
    replace: controls.replace || undefined,
    store: controls.store ? undefined : false,
  };
}

const missStatus = (controls: CacheControls) => (controls.lookup ? 'MISS' : controls.replace ? 'REFRESH' : 'BYPASS');

const includeUsage = (request: ChatRequest) => (request.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
