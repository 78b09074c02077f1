/**
 * What identifies a Responses API request for the cache; the same three
 * parts as chat (see cacheKey): `key` (exact), `semanticText` (the last user
 * turn of `input`) and `context` (everything else). Every field that decides
 * the answer is keyed: model, input, instructions, tools, tool_choice, text
 * (format), reasoning, include, prompt, truncation, and — sampling policy
 * permitting — the sampling fields.
 *
 * Stateful requests:
 * - `previous_response_id` is keyed (and part of the context): responses are
 *   immutable at the provider, so the same input after the same response has
 *   one answer, and a hit never needs the provider to record anything.
 * - `store` is keyed (default true): a hit hands out the stored answer's id,
 *   which a later `previous_response_id` must be able to find at the provider.
 * - `conversation` and `background` bypass the cache (see responsesBypass):
 *   the provider appends every turn to a conversation and runs background
 *   responses as jobs, and a hit would silently skip either.
 */
import { canonicalJson } from './canonical';
import { CacheIdentity, SamplingPolicy, pick, sha256 } from './cacheKey';

const IDENTITY_FIELDS = [
  'model', 'input', 'instructions', 'tools', 'tool_choice', 'text', 'reasoning', 'include', 'prompt', 'truncation', 'previous_response_id',
] as const;
export const RESPONSES_SAMPLING_FIELDS = ['temperature', 'top_p', 'max_output_tokens', 'top_logprobs', 'parallel_tool_calls', 'max_tool_calls', 'service_tier'] as const;

type InputItem = { role?: unknown; type?: unknown; content?: unknown };

export function responsesIdentity(req: Record<string, unknown>, sampling: SamplingPolicy = 'ignore'): CacheIdentity {
  const fields = sampling === 'include' ? [...IDENTITY_FIELDS, ...RESPONSES_SAMPLING_FIELDS] : IDENTITY_FIELDS;
  // The endpoint is keyed too: a chat request and a Responses request never share an entry.
  const keyed = { endpoint: 'responses', ...pick(req, fields), store: req.store !== false };
  const items: InputItem[] = typeof req.input === 'string' ? [{ role: 'user', content: req.input }] : Array.isArray(req.input) ? (req.input as InputItem[]) : [];
  const lastUser = lastUserIndex(items);
  const semanticText = lastUser >= 0 ? inputText(items[lastUser]!.content) : '';
  // As in chat: only the last user turn's text is compared by meaning; its other parts must match exactly.
  const contextItems = items.map((item, i) => (i === lastUser ? { ...item, content: nonTextParts(item.content) } : item));
  return {
    key: sha256(canonicalJson(keyed)),
    context: sha256(canonicalJson({ ...keyed, input: contextItems })).slice(0, 32),
    semanticText,
  };
}

/** Why a request skips the cache entirely, or undefined when it may be cached. */
export function responsesBypass(req: Record<string, unknown>): string | undefined {
  if (req.conversation !== undefined && req.conversation !== null) return 'conversation';
  if (req.background === true) return 'background';
  return undefined;
}

const isMessage = (item: InputItem) => item.type === undefined || item.type === 'message';

function lastUserIndex(items: InputItem[]): number {
  for (let i = items.length - 1; i >= 0; i--) if (isMessage(items[i]!) && items[i]!.role === 'user') return i;
  return -1;
}

const isTextPart = (p: unknown) => !!p && typeof p === 'object' && ['input_text', 'text'].includes(String((p as { type?: unknown }).type));

function inputText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter(isTextPart)
    .map((p) => String((p as { text?: unknown }).text ?? ''))
    .filter(Boolean)
    .join('\n');
}

function nonTextParts(content: unknown): unknown[] {
  return Array.isArray(content) ? content.filter((p) => !isTextPart(p)) : [];
}
