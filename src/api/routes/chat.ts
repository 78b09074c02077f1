/** POST /v1/chat/completions: the cached chat completion (the flow is cachedRoute's). */
import { cacheIdentity } from '../../cache/keys/cacheKey';
import { ChatRequest, parseChatRequest } from '../chatRequest';
import type { Config } from '../../config';
import { KnownRequests } from '../knownRequests';
import { CHAT_STREAM, StreamProtocol } from '../streaming/protocol';
import { CachedEndpoint, CachedRouteDeps, cachedRoute, knownRequestsOf } from './cachedRoute';

export const CHAT: CachedEndpoint<ChatRequest> = {
  endpoint: 'chat',
  parse: parseChatRequest,
  identity: (request, sampling) => cacheIdentity(request, sampling),
  includeUsage: (request) => (request.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true,
  protocol: CHAT_STREAM as StreamProtocol<unknown>,
};

/** The chat bodies seen before; the exact-hit lane reads the same ones the route fills. */
export const chatRequests = (config: Pick<Config, 'keySampling'>): KnownRequests<ChatRequest> => knownRequestsOf(CHAT, config);

export const chatCompletions = (services: CachedRouteDeps, known = chatRequests(services.config)) => cachedRoute(CHAT, services, known);
