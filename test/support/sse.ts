/** Reads a gateway SSE response by hand (no SDK), keeping the raw events and whether `[DONE]` arrived. */
export interface SseResult {
  status: number;
  headers: Headers;
  events: any[];
  done: boolean;
  /** The JSON body when the gateway answered with an error before streaming. */
  body?: any;
}

export async function streamChat(url: string, body: unknown, token: string, headers: Record<string, string> = {}, abortAfterEvents?: number): Promise<SseResult> {
  const controller = new AbortController();
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ ...(body as object), stream: true }),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    signal: controller.signal,
  });
  if (!res.headers.get('content-type')?.startsWith('text/event-stream')) {
    return { status: res.status, headers: res.headers, events: [], done: false, body: await res.json() };
  }
  const result: SseResult = { status: res.status, headers: res.headers, events: [], done: false };
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(bytes, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const data = buffer.slice(0, cut).replace(/^data: /, '');
        buffer = buffer.slice(cut + 2);
        if (data === '[DONE]') result.done = true;
        else result.events.push(JSON.parse(data));
        if (abortAfterEvents !== undefined && result.events.length >= abortAfterEvents) {
          controller.abort();
          return result;
        }
      }
    }
  } catch (err) {
    if (!controller.signal.aborted) throw err;
  }
  return result;
}

/** Content, tool calls and finish_reason per choice, folded from chunks exactly as a client would. */
export function fold(events: any[]): { content: string | null; toolCalls: { id: string; name: string; arguments: string }[]; finish: string | null }[] {
  const choices: ReturnType<typeof fold> = [];
  for (const event of events) {
    for (const c of event.choices ?? []) {
      const state = (choices[c.index] ??= { content: null, toolCalls: [], finish: null });
      if (typeof c.delta.content === 'string') state.content = (state.content ?? '') + c.delta.content;
      for (const t of c.delta.tool_calls ?? []) {
        const call = (state.toolCalls[t.index] ??= { id: '', name: '', arguments: '' });
        if (t.id) call.id = t.id;
        if (t.function?.name) call.name += t.function.name;
        if (t.function?.arguments) call.arguments += t.function.arguments;
      }
      if (c.finish_reason) state.finish = c.finish_reason;
    }
  }
  return choices;
}
