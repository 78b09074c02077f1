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

/**
 * What a judge compares (audits, free judgements): the text, then each tool
 * call as `name(arguments)`. An agent's answer is often only a tool call, with
 * no text: two that call different tools, or one tool with other arguments,
 * must not both read as "" and so as the same answer. Undefined: nothing to
 * compare.
 */
export function judgedText(answer: unknown): string | undefined {
  const parts = [answerText(answer), ...toolCallsOf(answer)].filter((p): p is string => !!p);
  return parts.length ? parts.join('\n') : undefined;
}

type Call = { name?: unknown; arguments?: unknown };

function toolCallsOf(answer: unknown): string[] {
  const a = answer as { choices?: { message?: { tool_calls?: { function?: Call }[] } }[]; output?: ({ type?: unknown } & Call)[] };
  const chat = a?.choices?.[0]?.message?.tool_calls?.map((c) => c.function ?? {}) ?? [];
  const responses = a?.output?.filter((o) => o.type === 'function_call') ?? [];
  return [...chat, ...responses].map((c) => `${String(c.name ?? '')}(${typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments ?? '')})`);
}
