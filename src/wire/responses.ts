/**
 * The Responses API's wire shapes (POST /v1/responses): the `response`
 * object and its stream events. Kept loose like the chat types: answers are
 * stored and forwarded verbatim, so unknown fields and item types survive.
 */

/** A `response` object, verbatim. `output` holds items: messages, function calls, reasoning, tool calls. */
export type ResponseObject = Record<string, unknown> & {
  id?: string;
  object?: 'response';
  status?: string;
  output?: OutputItem[];
  usage?: unknown;
};

export type OutputItem = Record<string, unknown> & { type: string; id?: string; status?: string };

/** A content part of a message item: output_text (text, annotations, logprobs) or refusal. */
export type ContentPart = Record<string, unknown> & { type: string; text?: string; refusal?: string };

/** One event of a Responses stream; `sequence_number` counts from 0 within the stream. */
export type ResponseEvent = Record<string, unknown> & { type: string; sequence_number?: number };

/** The events that end a stream; only `response.completed` carries an answer worth storing. */
export const TERMINAL_EVENTS = new Set(['response.completed', 'response.incomplete', 'response.failed', 'error']);

export const isResponseObject = (value: unknown): value is ResponseObject =>
  !!value && typeof value === 'object' && (value as { object?: unknown }).object === 'response';

/** Concatenated output_text of every message item: what the SDKs call `output_text`. */
export function outputText(response: ResponseObject): string {
  const texts: string[] = [];
  for (const item of response.output ?? []) {
    if (item.type !== 'message' || !Array.isArray(item.content)) continue;
    for (const part of item.content as ContentPart[]) if (part.type === 'output_text' && typeof part.text === 'string') texts.push(part.text);
  }
  return texts.join('');
}
