/**
 * The cached POST endpoints (chat completions, Responses) share one flow:
 * validate, read the per-request cache controls, identify (tenant + cache
 * key), look up L1 → L2/L3 in-process, and on a miss fill: through the fill
 * workflow (JSON), or by relaying the provider's stream and handing the
 * finished answer to the workflow (stream: true). An endpoint only says how
 * its requests parse, key, bypass and stream.
 */
import type { Context } from 'koa';
import { CacheControls, readControls } from '../../cache/controls';
import { GatewayError } from '../../errors';
import type { CacheIdentity, SamplingPolicy } from '../../cache/keys/cacheKey';
import { assertModelAllowed, Caller } from '../../auth/authenticate';
import type { LookupResult } from '../../cache/lookup';
import type { ProviderEndpoint } from '../../provider/provider';
import type { ApiServices } from '../../services';
import { SingleFlight } from '../streaming/singleFlight';
import { FlightOutcome, streamMiss } from '../streaming/relay';
import type { StreamProtocol } from '../streaming/protocol';
import type { FillInput } from '../../workflows/definitions';
import { fillIdFor } from '../../temporal/fillClient';
import { KnownRequests } from '../knownRequests';
import { Delivery, hitHeaders, respond } from '../respond';
import { SseSink } from '../sse';

/** How long a refresh waits for its new entry to be stored before answering (read-your-writes). */
const REFRESH_SETTLE_MS = 5_000;

export type CachedRouteDeps = Pick<ApiServices, 'config' | 'log' | 'lookup' | 'exact' | 'fill' | 'provider' | 'seal'>;

export interface CachedEndpoint<R extends { model?: string; stream?: boolean }> {
  endpoint: ProviderEndpoint;
  parse(body: unknown): R;
  identity(request: R, sampling: SamplingPolicy): CacheIdentity;
  /** Why this request must neither be looked up nor stored (it changes state at the provider), if it must. */
  bypass?(request: R): string | undefined;
  includeUsage(request: R): boolean;
  protocol: StreamProtocol<unknown>;
}

export function cachedRoute<R extends { model?: string; stream?: boolean }>(spec: CachedEndpoint<R>, services: CachedRouteDeps) {
  const { config, lookup, fill, exact, log } = services;
  const flights = new SingleFlight<FlightOutcome>();
  const known = new KnownRequests(spec.parse, (request: R) => spec.identity(request, config.keySampling));
  return async (ctx: Context): Promise<void> => {
    const { request, identity } = known.parse(ctx.request.rawBody, ctx.request.body);
    const caller = ctx.state.caller as Caller; // set by gatewayAuth
    if (request.model !== undefined) assertModelAllowed(caller, request.model);
    const bypass = spec.bypass?.(request);
    const asked = readControls((name) => ctx.get(name), config);
    const controls: CacheControls = bypass ? { ...asked, lookup: false, store: false, replace: false } : asked;
    const tenant = caller.tenant;
    const delivery: Delivery = { stream: request.stream === true, includeUsage: spec.includeUsage(request), format: controls.format, protocol: spec.protocol };

    const found: LookupResult = controls.lookup ? await lookup.lookup(tenant, identity, { threshold: controls.threshold }) : { status: 'MISS' };
    if (found.status !== 'MISS') return respond(ctx, found.entry.response, hitHeaders(found), delivery);
    if (controls.onlyIfCached) {
      throw new GatewayError(504, 'No cached answer for this request (only-if-cached).', 'invalid_request_error', 'cache_miss', null, { 'X-Reflex-Status': 'MISS' });
    }

    const input = fillInput(spec.endpoint, services, ctx, request, caller, identity, controls, found.embedding);
    // A refresh answers only once its entry replaced the old one, so the next request sees it.
    const settleRefresh = async (workflowId: string | undefined) => {
      if (!controls.replace) return;
      if (workflowId) await fill.settled(workflowId, REFRESH_SETTLE_MS);
      exact.forget(tenant.id, identity.key);
    };
    const headers: Record<string, string> = { 'X-Reflex-Status': missStatus(controls) };
    if (bypass) headers['X-Reflex-Bypass'] = bypass;

    if (delivery.stream) {
      // Decided before the stream opens: the header goes out first, the hand-off comes last.
      const fillId = input.store !== false ? fillIdFor(input) : undefined;
      if (fillId) headers['X-Reflex-Fill-Id'] = fillId;
      const deps = { provider: services.provider, fill, flights, log, maxAttempts: config.upstream.maxAttempts };
      const sink = new SseSink(ctx, spec.protocol);
      const miss = { input, fillId, protocol: spec.protocol, apiKey: caller.providerKey, includeUsage: delivery.includeUsage, headers, sink, beforeEnd: settleRefresh };
      return streamMiss(deps, miss);
    }
    const answer = await fill.fill(input);
    await settleRefresh(answer.workflowId);
    await respond(ctx, answer.response, { ...headers, 'X-Reflex-Fill-Id': answer.workflowId }, delivery);
  };
}

function fillInput(
  endpoint: ProviderEndpoint,
  services: CachedRouteDeps,
  ctx: Context,
  request: { model?: string; stream?: boolean },
  caller: Caller,
  identity: CacheIdentity,
  controls: CacheControls,
  embedding: Float32Array | undefined,
): FillInput {
  const { config, seal } = services;
  return {
    // Chat fills keep the input they always had (see FillInput.endpoint).
    ...(endpoint === 'chat' ? {} : { endpoint }),
    tenant: caller.tenant.id,
    key: identity.key,
    context: identity.context,
    model: request.model ?? '',
    semanticText: identity.semanticText,
    request: request as Record<string, unknown>,
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
