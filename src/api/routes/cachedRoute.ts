/**
 * The cached POST endpoints (chat completions, Responses) share one flow:
 * validate, read the per-request cache controls, identify (tenant + cache
 * key), look up L1 → L2/L3 in-process, and on a miss fill: through the fill
 * workflow (JSON), or by relaying the provider's stream and handing the
 * finished answer to the workflow (stream: true); see miss/missPath for
 * coalescing, degraded mode and read-your-writes. An endpoint only says how
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
import { streamMiss, withOutcome } from '../streaming/relay';
import type { StreamProtocol } from '../streaming/protocol';
import { MissSpec, fillIdFor } from '../../miss/missSpec';
import { KnownRequests } from '../knownRequests';
import { Delivery, hitHeaders, respond } from '../respond';
import { SseSink } from '../sse';

/** How long a refresh waits for its new entry to be stored before answering (read-your-writes). */
const REFRESH_SETTLE_MS = 5_000;

export type CachedRouteDeps = Pick<ApiServices, 'config' | 'log' | 'lookup' | 'exact' | 'fill' | 'provider' | 'seal' | 'miss' | 'health' | 'admission'> & Partial<Pick<ApiServices, 'audits'>>;

export interface CachedEndpoint<R extends { model?: string; stream?: boolean }> {
  endpoint: ProviderEndpoint;
  parse(body: unknown): R;
  identity(request: R, sampling: SamplingPolicy): CacheIdentity;
  /** Why this request must neither be looked up nor stored (it changes state at the provider), if it must. */
  bypass?(request: R): string | undefined;
  includeUsage(request: R): boolean;
  protocol: StreamProtocol<unknown>;
}

/** The endpoint's bodies seen before (validated, with their identity); see knownRequests.ts. */
export function knownRequestsOf<R extends { model?: string; stream?: boolean }>(spec: CachedEndpoint<R>, config: Pick<CachedRouteDeps['config'], 'keySampling'>): KnownRequests<R> {
  return new KnownRequests(spec.parse, (request: R) => spec.identity(request, config.keySampling));
}

export function cachedRoute<R extends { model?: string; stream?: boolean }>(spec: CachedEndpoint<R>, services: CachedRouteDeps, known = knownRequestsOf(spec, services.config)) {
  const { config, lookup } = services;
  return async (ctx: Context): Promise<void> => {
    const t0 = performance.now();
    const { request, identity } = known.parse(ctx.request.rawBody, ctx.request.body);
    const caller = ctx.state.caller as Caller; // set by gatewayAuth
    if (request.model !== undefined) assertModelAllowed(caller, request.model);
    const bypass = spec.bypass?.(request);
    const asked = readControls((name) => ctx.get(name), config);
    const controls: CacheControls = bypass ? { ...asked, lookup: false, store: false, replace: false } : asked;
    const tenant = caller.tenant;
    const delivery: Delivery = { stream: request.stream === true, includeUsage: spec.includeUsage(request), format: controls.format, protocol: spec.protocol };

    // In an overload (misses at their limit and queue full) refuse before the lookup's CPU is spent.
    services.admission.assertRoom();
    const found: LookupResult = controls.lookup ? await lookup.lookup(tenant, identity, { threshold: controls.threshold }) : { status: 'MISS' };
    const timing: Record<string, number> = { lookup: performance.now() - t0 };
    if (found.status !== 'MISS') {
      await respond(ctx, found.entry.response, hitHeaders(found), delivery);
      if (found.status === 'HIT_L3_VERIFIED' && spec.endpoint === 'chat') auditLater(services, ctx, request, caller, identity, found);
      return;
    }
    if (controls.onlyIfCached) {
      throw new GatewayError(504, 'No cached answer for this request (only-if-cached).', 'invalid_request_error', 'cache_miss', null, { 'X-Reflex-Status': 'MISS' });
    }

    // Past REFLEX_MAX_MISSES in flight the miss waits its turn, or is refused with 503 + Retry-After.
    const release = await services.admission.enter();
    try {
      await answerMiss(ctx, spec, services, { request, caller, identity, controls, delivery, found, bypass, t0, timing });
    } finally {
      release();
    }
  };
}

interface MissContext<R> {
  request: R;
  caller: Caller;
  identity: CacheIdentity;
  controls: CacheControls;
  delivery: Delivery;
  /** The lookup's miss: the query's embedding, and a candidate the error budget refused. */
  found: Extract<LookupResult, { status: 'MISS' }>;
  bypass: string | undefined;
  t0: number;
  timing: Record<string, number>;
}

/** A miss, answered through the fill workflow (JSON) or by relaying the provider's stream. */
async function answerMiss<R extends { model?: string; stream?: boolean }>(ctx: Context, spec: CachedEndpoint<R>, services: CachedRouteDeps, m: MissContext<R>): Promise<void> {
  const { config, fill, exact, log, miss } = services;
  const { request, caller, identity, controls, delivery, bypass, t0, timing } = m;
  const tenant = caller.tenant;
  const missed = { ...missSpec(spec.endpoint, services, ctx, request, caller, identity, controls, m.found), lookupMs: timing.lookup };
  // A refresh answers only once its entry replaced the old one, so the next request sees it.
  const settleRefresh = async (workflowId: string | undefined) => {
    if (!controls.replace) return;
    if (workflowId) await fill.settled(workflowId, REFRESH_SETTLE_MS);
    exact.forget(tenant.id, identity.key);
  };
  const headers: Record<string, string> = { 'X-Reflex-Status': missStatus(controls) };
  if (bypass) headers['X-Reflex-Bypass'] = bypass;

  if (delivery.stream) {
    // Decided before the stream opens: the header goes out first, the hand-off comes last. Claimed
    // only while Temporal is believed reachable (else the outbox keeps the answer and no fill exists yet).
    if (missed.store !== false) missed.fillId = fillIdFor(missed);
    if (missed.fillId && !services.health.degraded) headers['X-Reflex-Fill-Id'] = missed.fillId;
    const deps = { provider: services.provider, miss, log, maxAttempts: config.upstream.maxAttempts };
    const sink = new SseSink(ctx, spec.protocol);
    const streaming = { spec: missed, protocol: spec.protocol, apiKey: caller.providerKey, includeUsage: delivery.includeUsage, headers, sink, lookedUp: controls.lookup, beforeEnd: settleRefresh };
    return streamMiss(deps, streaming);
  }
  const outcome = await miss.answer(missed, caller.providerKey, controls.lookup);
  await settleRefresh(outcome.workflowId);
  Object.assign(timing, outcome.timing);
  timing.total = performance.now() - t0;
  const serverTiming = Object.entries(timing).map(([name, ms]) => `${name};dur=${ms.toFixed(1)}`).join(', ');
  await respond(ctx, outcome.completion, { ...withOutcome(headers, outcome), 'Server-Timing': serverTiming }, delivery);
}

function missSpec(
  endpoint: ProviderEndpoint,
  services: CachedRouteDeps,
  ctx: Context,
  request: { model?: string; stream?: boolean },
  caller: Caller,
  identity: CacheIdentity,
  controls: CacheControls,
  { embedding, embedder, refused }: Extract<LookupResult, { status: 'MISS' }>,
): MissSpec {
  const { seal, config } = services;
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
    embedding,
    embedder,
    requestId: ctx.state.requestId,
    caller: callerLabel(caller),
    replace: controls.replace || undefined,
    store: controls.store ? undefined : false,
    ...(refused && controls.store ? { refused: { ...refused, judge: config.audit.judge } } : {}),
  };
}

/**
 * A sampled semantic hit gets an audit (issue 28), started after its answer
 * went out; a stream was relayed by now. The caller's own token is sealed
 * for the audit's provider call, as a fill's is (provider/credentials).
 */
function auditLater(services: CachedRouteDeps, ctx: Context, request: { model?: string }, caller: Caller, identity: CacheIdentity, hit: Extract<LookupResult, { status: 'HIT_L3_VERIFIED' }>): void {
  const audits = services.audits;
  if (!audits) return;
  try {
    audits.afterHit(caller.tenant.id, () => ({
      tenant: caller.tenant.id,
      key: identity.key,
      context: identity.context,
      semanticText: identity.semanticText,
      model: request.model ?? '',
      request: request as Record<string, unknown>,
      embedding: hit.embedding,
      embedder: hit.embedder,
      entryKey: hit.entry.key,
      similarity: hit.similarity,
      sealedToken: caller.forwarded && caller.providerKey ? services.seal.seal(caller.providerKey) : undefined,
      requestId: ctx.state.requestId,
      caller: callerLabel(caller),
    }));
  } catch (err) {
    // The hit was answered: an audit that cannot be started is logged, never the caller's error.
    services.log.warn({ err: String(err), requestId: ctx.state.requestId }, 'audit not started');
  }
}

/** A gateway key as the Temporal UI names it (name, and its namespace where that differs); forwarded tokens have none. */
function callerLabel(caller: Caller): string | undefined {
  const key = caller.key;
  if (!key) return undefined;
  return key.namespace === key.name ? key.name : `${key.name} (${key.namespace})`;
}

const missStatus = (controls: CacheControls) => (controls.lookup ? 'MISS' : controls.replace ? 'REFRESH' : 'BYPASS');
