/**
 * Response body encodings. `openai` (the default) is the provider's own
 * message, untouched. `tauq` (opt-in: X-Reflex-Format: tauq or
 * REFLEX_RESPONSE_FORMAT=tauq) re-encodes message content that is a JSON
 * document (json_object / json_schema answers) as Tauq notation, which costs
 * the reading agent fewer tokens. Prose and tool calls are left as they are:
 * they are already minimal, and clients must still be able to run tools.
 */
import type { ResponseFormat } from '../../cache/controls';
import { toTauq } from './tauq';
import type { ChatCompletion } from '../../wire/chat';

export function formatCompletion(completion: ChatCompletion, format: ResponseFormat): ChatCompletion {
  if (format === 'openai' || !Array.isArray(completion.choices)) return completion;
  return { ...completion, choices: completion.choices.map(tauqChoice) };
}

function tauqChoice(choice: unknown): unknown {
  const c = choice as { message?: { content?: unknown } };
  const document = jsonDocument(c.message?.content);
  return document === undefined ? choice : { ...c, message: { ...c.message, content: toTauq(document) } };
}

function jsonDocument(content: unknown): unknown {
  if (typeof content !== 'string' || !/^\s*[[{]/.test(content)) return undefined;
  try {
    return JSON.parse(content);
  } catch {
    return undefined;
  }
}
