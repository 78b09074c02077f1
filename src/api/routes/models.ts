/**
 * GET /v1/models and /v1/models/:model: the upstream's list, passed through
 * (never cached), with the provider key the caller's completions would use.
 * A key with a model allow-list sees only those models.
 */
import type { Context } from 'koa';
import { assertModelAllowed, Caller } from '../../auth/authenticate';
import { fetchModels, mockModels } from '../../provider/models';
import type { Config } from '../../config';

export function models(upstream: Config['upstream']) {
  return async (ctx: Context): Promise<void> => {
    const caller = ctx.state.caller as Caller; // set by gatewayAuth
    const modelId = typeof ctx.params?.model === 'string' ? ctx.params.model : undefined;
    if (modelId) assertModelAllowed(caller, modelId);
    const answer = upstream.mock ? mockModels(modelId) : await fetchModels(upstream.url, caller.providerKey, modelId, upstream.timeoutMs);
    ctx.status = answer.status;
    ctx.body = modelId ? answer.body : allowedOnly(answer.body, caller.key?.models);
  };
}

function allowedOnly(body: unknown, allowed: string[] | undefined): unknown {
  const list = body as { data?: { id?: unknown }[] } | undefined;
  if (!allowed || !Array.isArray(list?.data)) return body;
  return { ...list, data: list.data.filter((m) => typeof m.id === 'string' && allowed.includes(m.id)) };
}
