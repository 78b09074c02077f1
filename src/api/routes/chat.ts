/**
 * POST /v1/chat/completions: validate, read the per-request cache controls,
 * identify (tenant + cache key), look up L1 → L2/L3 in-process, and on a miss
 * fill: through the fill workflow (JSON), or by relaying the provider's
 * stream and handing the finished answer to the workflow (stream: true).
 */
import type { Context } from 'koa';
import { CacheControls, readControls } from '../../cache/controls';
import { GatewayError } from '../../errors';
import type { CacheIdentity } from '../../cache/keys/cacheKey';
import { assertModelAllowed, Caller } from '../../auth/authenticate';
import type { LookupResult } from '../../cache/lookup';
import type { ApiServices } from '../../services';
import { SingleFlight } from '../streaming/singleFlight';
import { FlightOutcome, streamMiss } from '../streaming/relay';
import type { FillInput } from '../../workflows/definitions';
import { fillIdFor } from '../../temporal/fillClient';
import type { ChatRequest } from '../chatRequest';
import { KnownRequests } from '../knownRequests';
import { Delivery, hitHeaders, respond } from '../respond';
import { SseSink } from '../sse';

/** How long a refresh waits for its new entry to be stored before answering (read-your-writes). */
const REFRESH_SETTLE_MS = 5_000;

type ChatDeps = Pick<ApiServices, 'config' | 'log' | 'lookup' | 'exact' | 'fill' | 'provider' | 'seal'>;

export function chatCompletions(services: ChatDeps) {
  const { config, lookup, fill, exact, log } = services;
  const flights = new SingleFlight<FlightOutcome>();
  const known = new KnownRequests(config.keySampling);
  return async (ctx: Context): Promise<void> => {
    const { request, identity } = known.parse(ctx.request.rawBody, ctx.request.body);
    const caller = ctx.state.caller as Caller; // set by gatewayAuth
    assertModelAllowed(caller, request.model);
    const controls = readControls((name) => ctx.get(name), config);
    const tenant = caller.tenant;
    const delivery: Delivery = { stream: request.stream === true, includeUsage: includeUsage(request), format: controls.format };

    const found: LookupResult = controls.lookup ? await lookup.lookup(tenant, identity, { threshold: controls.threshold }) : { status: 'MISS' };
    if (found.status !== 'MISS') return respond(ctx, found.entry.response, hitHeaders(found), delivery);
    if (controls.onlyIfCached) {
      throw new GatewayError(504, 'No cached answer for this request (only-if-cached).', 'invalid_request_error', 'cache_miss', null, { 'X-Reflex-Status': 'MISS' });
    }

    const input = fillInput(services, ctx, request, caller, identity, controls, found.embedding);
    // A refresh answers only once its entry replaced the old one, so the next request sees it.
    const settleRefresh = async (workflowId: string | undefined) => {
      if (!controls.replace) return;
      if (workflowId) await fill.settled(workflowId, REFRESH_SETTLE_MS);
      exact.forget(tenant.id, identity.key);
    };
    const headers: Record<string, string> = { 'X-Reflex-Status': missStatus(controls) };

    if (delivery.stream) {
      // Decided before the stream opens: the header goes out first, the hand-off comes last.
      const fillId = input.store !== false ? fillIdFor(input) : undefined;
      if (fillId) headers['X-Reflex-Fill-Id'] = fillId;
      const deps = { provider: services.provider, fill, flights, log, maxAttempts: config.upstream.maxAttempts };
      const sink = new SseSink(ctx);
      return streamMiss(deps, { input, fillId, apiKey: caller.providerKey, includeUsage: delivery.includeUsage, headers, sink, beforeEnd: settleRefresh });
    }
    const answer = await fill.fill(input);
    await settleRefresh(answer.workflowId);
    await respond(ctx, answer.response, { ...headers, 'X-Reflex-Fill-Id': answer.workflowId }, delivery);
  };
}

function fillInput(
  services: ChatDeps,
  ctx: Context,
  request: ChatRequest,
  caller: Caller,
  identity: CacheIdentity,
  controls: CacheControls,
  embedding: Float32Array | undefined,
): FillInput {
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
    embedding: embedding ? Array.from(embedding) : undefined,
    policy: {
      providerMaxAttempts: config.upstream.maxAttempts,
      providerTimeoutMs: config.upstream.timeoutMs,
      indexMaxAttempts: config.indexMaxAttempts,
    },
    requestId: ctx.state.requestId,
    replace: controls.replace || undefined,
    store: controls.store ? undefined : false,
  };
}

const missStatus = (controls: CacheControls) => (controls.lookup ? 'MISS' : controls.replace ? 'REFRESH' : 'BYPASS');

const includeUsage = (request: ChatRequest) => (request.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
