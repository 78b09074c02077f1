/**
 * POST /v1/responses: the Responses API, cached with the same tiers,
 * controls and headers as chat (the flow is cachedRoute's). Hits replay as
 * the API's own event stream; `conversation` and `background` requests pass
 * through uncached (see cache/keys/responsesKey). GET/DELETE of a stored
 * response, its input items and cancel are forwarded to the provider.
 */
import type { Context } from 'koa';
import { responsesBypass, responsesIdentity } from '../../cache/keys/responsesKey';
import type { Caller } from '../../auth/authenticate';
import type { Config } from '../../config';
import { GatewayError } from '../../errors';
import { passThrough } from '../../provider/passThrough';
import { ResponsesRequest, parseResponsesRequest } from '../responsesRequest';
import { RESPONSES_STREAM, StreamProtocol } from '../streaming/protocol';
import { CachedEndpoint, CachedRouteDeps, cachedRoute } from './cachedRoute';

const RESPONSES: CachedEndpoint<ResponsesRequest> = {
  endpoint: 'responses',
  parse: parseResponsesRequest,
  identity: (request, sampling) => responsesIdentity(request, sampling),
  bypass: (request) => responsesBypass(request),
  includeUsage: () => true,
  protocol: RESPONSES_STREAM as StreamProtocol<unknown>,
};

export const createResponse = (services: CachedRouteDeps) => cachedRoute(RESPONSES, services);

/** GET|DELETE /v1/responses/:id[/input_items], POST /v1/responses/:id/cancel, as the provider answers them. */
export function storedResponse(upstream: Config['upstream']) {
  return async (ctx: Context): Promise<void> => {
    if (upstream.mock) throw new GatewayError(404, 'The mock provider keeps no responses.', 'invalid_request_error', 'not_found');
    const tail = ctx.path.slice('/v1'.length);
    const method = ctx.method as 'GET' | 'POST' | 'DELETE';
    const apiKey = (ctx.state.caller as Caller).providerKey; // set by gatewayAuth
    const answer = await passThrough({ baseURL: upstream.url, apiKey, method, path: tail + (ctx.querystring ? `?${ctx.querystring}` : ''), timeoutMs: upstream.timeoutMs });
    ctx.status = answer.status;
    ctx.body = answer.body;
  };
}
