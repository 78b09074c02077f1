import type { ChatCompletion } from '../wire/chat';
/** Which provider answers may be stored. Pure, so the workflow can call it. */

const UNCACHEABLE_FINISH = new Set(['length', 'content_filter']);

/** A truncated or filtered answer is not the answer to the question; never cache it. */
export function isCacheable(response: ChatCompletion): boolean {
  // A Responses API answer: only a completed response with output (not queued, incomplete or failed).
  if (response.object === 'response') return response.status === 'completed' && Array.isArray(response.output) && response.output.length > 0;
  const choices = Array.isArray(response.choices) ? response.choices : [];
  if (choices.length === 0) return false;
  return choices.every((c) => {
    const finish = (c as { finish_reason?: unknown }).finish_reason;
    return typeof finish === 'string' && !UNCACHEABLE_FINISH.has(finish);
  });
}
