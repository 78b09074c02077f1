/**
 * POST /v1/chat/completions: validate, identify (tenant + cache key), look up
 * L1 → L2/L3 in-process, and on a miss hand the request to the fill workflow.
 * Hits and misses alike return the provider's own chat.completion.
 */
import type { Context } from 'koa';
import { invalidRequest } from '../../errors';
import { cacheIdentity } from '../../keys/cacheKey';
import { bearerToken, tenantFromToken } from '../../keys/tenant';
import type { Services } from '../../services';
import { FillInput } from '../../workflows/definitions';
import { parseChatRequest } from '../chatRequest';

export function chatCompletions(services: Services) {
  const { config, lookup, fill, seal } = services;
  return async (ctx: Context): Promise<void> => {
    const request = parseChatRequest(ctx.request.body);
    if (request.stream) throw invalidRequest('stream: true is not yet supported by this gateway.', 'stream', 'unsupported_parameter');
    const token = bearerToken(ctx.get('authorization'));
    const tenant = tenantFromToken(token);
    const identity = cacheIdentity(request, config.keySampling);

    const found = await lookup.lookup(tenant, identity);
    if (found.status !== 'MISS') {
      ctx.set('X-Reflex-Status', found.status);
      ctx.body = found.entry.response;
      return;
    }

    const input: FillInput = {
      tenant: tenant.id,
      tenantNumeric: tenant.numeric,
      key: identity.key,
      context: identity.context,
      model: request.model,
      semanticText: identity.semanticText,
      request,
      sealedToken: !config.upstream.apiKey && token ? seal.seal(token) : undefined,
      embedding: found.embedding ? Array.from(found.embedding) : undefined,
      policy: {
        providerMaxAttempts: config.upstream.maxAttempts,
        providerTimeoutMs: config.upstream.timeoutMs,
        indexMaxAttempts: config.indexMaxAttempts,
      },
      requestId: ctx.state.requestId,
    };
    const answer = await fill.fill(input);
    ctx.set('X-Reflex-Status', 'MISS');
    ctx.set('X-Reflex-Fill-Id', answer.workflowId);
    ctx.body = answer.response;
  };
}
