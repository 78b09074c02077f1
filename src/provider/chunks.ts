/**
 * OpenAI's streaming shapes (chat.completion.chunk), kept loose on purpose:
 * provider chunks are forwarded verbatim, so unknown fields must survive.
 */
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
