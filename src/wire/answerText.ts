/**
 * The text of an answer, whichever endpoint gave it: a chat completion's
 * first choice, or a Responses answer's output text. What a person reads
 * (the Temporal UI's fill details) and what an audit's judge compares.
 */
/** The text of a chat completion or a Responses answer; undefined for anything else. */
export function answerText(answer: unknown): string | undefined {
  const a = answer as { choices?: { message?: { content?: unknown } }[]; output_text?: unknown; output?: { content?: { text?: unknown }[] }[] };
  const chat = a?.choices?.[0]?.message?.content;
  if (typeof chat === 'string') return chat;
  if (typeof a?.output_text === 'string') return a.output_text;
  const parts = a?.output?.flatMap((o) => o.content ?? []).map((c) => c.text).filter((t): t is string => typeof t === 'string');
  return parts?.length ? parts.join(' ') : undefined;
}

