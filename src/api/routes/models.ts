/** GET /v1/models and /v1/models/:model: the upstream's list, passed through (never cached). */
import type { Context } from 'koa';
import { bearerToken } from '../../cache/keys/tenant';
import { fetchModels, mockModels } from '../../provider/models';
import type { Config } from '../../config';

export function models(upstream: Config['upstream']) {
  return async (ctx: Context): Promise<void> => {
    const modelId = typeof ctx.params?.model === 'string' ? ctx.params.model : undefined;
    const apiKey = upstream.apiKey ?? bearerToken(ctx.get('authorization'));
    const answer = upstream.mock ? mockModels(modelId) : await fetchModels(upstream.url, apiKey, modelId, upstream.timeoutMs);
    ctx.status = answer.status;
    ctx.body = answer.body;
  };
}
