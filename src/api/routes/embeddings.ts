/**
 * POST /v1/embeddings: an exact cache per input item (see
 * cache/vectors/embeddingsCache). Headers: X-Reflex-Status HIT_L1_EXACT when
 * every item was stored, else MISS (REFRESH/BYPASS under those controls), and
 * X-Reflex-Cached-Items "<served from cache>/<items>".
 */
import type { Context } from 'koa';
import { readControls } from '../../cache/controls';
import { assertModelAllowed, Caller } from '../../auth/authenticate';
import { GatewayError } from '../../errors';
import { providerError, UpstreamError } from '../../provider/failure';
import { withProviderRetry } from '../../provider/retrying';
import type { ApiServices } from '../../services';
import { parseEmbeddingsRequest } from '../embeddingsRequest';

type EmbeddingsDeps = Pick<ApiServices, 'config' | 'provider' | 'embeddings'>;

export function embeddings(services: EmbeddingsDeps) {
  const { config, provider } = services;
  return async (ctx: Context): Promise<void> => {
    const request = parseEmbeddingsRequest(ctx.request.body);
    const controls = readControls((name) => ctx.get(name), config);
    const caller = ctx.state.caller as Caller; // set by gatewayAuth
    assertModelAllowed(caller, request.model);
    const tenant = caller.tenant;
    const apiKey = caller.providerKey;
    const found = controls.lookup ? await services.embeddings.lookup(tenant.id, request) : undefined;
    if (controls.onlyIfCached && (!found || found.some((v) => !v))) {
      throw new GatewayError(504, 'Not every input has a cached embedding (only-if-cached).', 'invalid_request_error', 'cache_miss', null, { 'X-Reflex-Status': 'MISS' });
    }
    const upstream = (narrowed: typeof request) => withProviderRetry(() => provider.embed(narrowed, apiKey), config.upstream.maxAttempts);
    let answer;
    try {
      answer = await services.embeddings.answer(tenant.id, request, { lookup: controls.lookup, store: controls.store }, upstream, found);
    } catch (err) {
      throw err instanceof UpstreamError ? providerError(err.failure) : err;
    }
    const status = answer.cached === answer.total ? 'HIT_L1_EXACT' : controls.lookup ? 'MISS' : controls.replace ? 'REFRESH' : 'BYPASS';
    ctx.set({ 'X-Reflex-Status': status, 'X-Reflex-Cached-Items': `${answer.cached}/${answer.total}` });
    ctx.body = answer.response;
  };
}
