/**
 * OpenAI's wire shapes the gateway handles: chat.completion and its streaming
 * chat.completion.chunk, kept loose on purpose (provider answers are stored
 * and forwarded verbatim, so unknown fields must survive), and message content.
 */

/** The provider's chat.completion, kept verbatim (unknown fields included). */
export type ChatCompletion = Record<string, unknown> & { id?: string; choices?: unknown[] };

export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: string };
}

export interface ChunkDelta {
  role?: string;
  content?: string | null;
  refusal?: string | null;
  tool_calls?: ToolCallDelta[];
  [field: string]: unknown;
}

export interface ChunkChoice {
  index: number;
  delta: ChunkDelta;
  logprobs?: unknown;
  finish_reason: string | null;
  [field: string]: unknown;
}

export interface CompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: ChunkChoice[];
  usage?: unknown;
  [field: string]: unknown;
}

/** The message of one choice in a stored chat.completion. */
export interface StoredMessage {
  role?: string;
  content?: string | null;
  refusal?: string | null;
  tool_calls?: { id: string; type: string; function: { name: string; arguments: string } }[];
  [field: string]: unknown;
}

export interface StoredChoice {
  index?: number;
  message?: StoredMessage;
  finish_reason?: string | null;
  logprobs?: unknown;
}

export const isTextPart = (p: unknown) => !!p && typeof p === 'object' && (p as { type?: unknown }).type === 'text';

/** Text of a message's content: a string, or the text parts of a content-part array. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p) => (isTextPart(p) ? String((p as { text?: unknown }).text ?? '') : ''))
      .filter(Boolean)
      .join('\n');
  }
  return '';
}
