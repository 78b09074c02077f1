/**
 * What identifies a request for the cache.
 *
 * - `key`: exact identity (L1) = sha256 of canonical JSON of model, messages,
 *   tools, tool_choice, response_format (and sampling parameters when
 *   REFLEX_KEY_SAMPLING=include).
 * - `semanticText`: the last user turn, the only part compared by meaning (L2).
 * - `context`: sha256 of everything else that shapes the answer (model, system
 *   prompt, earlier turns, tools, response_format, ...). Semantic hits require
 *   an identical context, so the same question after a different system prompt
 *   or different earlier turns never matches.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical';
import { contentText, isTextPart } from '../../wire/chat';

export interface KeyableMessage {
  role: string;
  content?: unknown;
  [field: string]: unknown;
}

export interface KeyableRequest {
  model: string;
  messages: KeyableMessage[];
  [field: string]: unknown;
}

export type SamplingPolicy = 'ignore' | 'include';

export interface CacheIdentity {
  key: string;
  context: string;
  semanticText: string;
}

const IDENTITY_FIELDS = ['model', 'messages', 'tools', 'tool_choice', 'response_format'] as const;
export const SAMPLING_FIELDS = [
  'temperature', 'top_p', 'n', 'seed', 'stop', 'max_tokens', 'max_completion_tokens',
  'presence_penalty', 'frequency_penalty', 'logit_bias', 'logprobs', 'top_logprobs',
  'reasoning_effort', 'parallel_tool_calls',
] as const;

export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export function cacheIdentity(req: KeyableRequest, sampling: SamplingPolicy = 'ignore'): CacheIdentity {
  const fields = sampling === 'include' ? [...IDENTITY_FIELDS, ...SAMPLING_FIELDS] : IDENTITY_FIELDS;
  const keyed = pick(req, fields);
  // n changes the answer's shape (n choices), so it always joins the key unless it is 1.
  if (req.n !== undefined && req.n !== 1) keyed.n = req.n;
  const lastUser = lastUserIndex(req.messages);
  const semanticText = lastUser >= 0 ? contentText(req.messages[lastUser]!.content) : '';
  // The last user turn's text is compared by meaning; anything else in it (images,
  // audio, a name) must still match exactly, so it stays in the context.
  const contextMessages = req.messages.map((m, i) => (i === lastUser ? { ...m, content: nonTextParts(m.content) } : m));
  return {
    key: sha256(canonicalJson(keyed)),
    context: sha256(canonicalJson({ ...keyed, messages: contextMessages })).slice(0, 32),
    semanticText,
  };
}

export function pick(req: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) if (req[f] !== undefined) out[f] = req[f];
  return out;
}

function lastUserIndex(messages: KeyableMessage[]): number {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]!.role === 'user') return i;
  return -1;
}

function nonTextParts(content: unknown): unknown[] {
  return Array.isArray(content) ? content.filter((p) => !isTextPart(p)) : [];
}

