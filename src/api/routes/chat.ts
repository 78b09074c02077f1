/** POST /v1/chat/completions: the cached chat completion (the flow is cachedRoute's). */
import { cacheIdentity } from '../../cache/keys/cacheKey';
import { ChatRequest, parseChatRequest } from '../chatRequest';
import { CHAT_STREAM, StreamProtocol } from '../streaming/protocol';
import { CachedEndpoint, CachedRouteDeps, cachedRoute } from './cachedRoute';

const CHAT: CachedEndpoint<ChatRequest> = {
  endpoint: 'chat',
  parse: parseChatRequest,
  identity: (request, sampling) => cacheIdentity(request, sampling),
  includeUsage: (request) => (request.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true,
  protocol: CHAT_STREAM as StreamProtocol<unknown>,
};

export const chatCompletions = (services: CachedRouteDeps) => cachedRoute(CHAT, services);
