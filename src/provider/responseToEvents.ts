/**
 * A stored `response` replayed as the Responses API's own stream:
 * response.created → response.in_progress → per output item
 * output_item.added, (message parts: content_part.added, output_text.delta…,
 * output_text.done, content_part.done | function call: arguments.delta…,
 * arguments.done), output_item.done → response.completed, numbered by
 * sequence_number from 0. Concatenated deltas give back exactly the stored
 * text and arguments; response.completed carries the stored response itself.
 */
import type { ContentPart, OutputItem, ResponseEvent, ResponseObject } from '../wire/responses';
import { pieces } from './toChunks';

type Unnumbered = Record<string, unknown> & { type: string };

export function responseToEvents(response: ResponseObject): ResponseEvent[] {
  const events: Unnumbered[] = [];
  const opening = { ...response, status: 'in_progress', output: [], usage: null };
  events.push({ type: 'response.created', response: opening }, { type: 'response.in_progress', response: opening });
  (response.output ?? []).forEach((item, outputIndex) => events.push(...itemEvents(item, outputIndex)));
  events.push({ type: terminalType(response), response });
  return events.map((event, i) => ({ ...event, sequence_number: i }));
}

/** The terminal event matches the stored status (only completed answers are cached, but replay stays honest). */
const terminalType = (response: ResponseObject) =>
  response.status === 'incomplete' ? 'response.incomplete' : response.status === 'failed' ? 'response.failed' : 'response.completed';

function itemEvents(item: OutputItem, outputIndex: number): Unnumbered[] {
  const at = { output_index: outputIndex };
  if (item.type === 'message' && Array.isArray(item.content)) return messageEvents(item, at);
  if (item.type === 'function_call' && typeof item.arguments === 'string') {
    const ref = { item_id: item.id, ...at };
    return [
      { type: 'response.output_item.added', ...at, item: { ...item, arguments: '', status: 'in_progress' } },
      ...pieces(item.arguments).map((delta) => ({ type: 'response.function_call_arguments.delta', ...ref, delta })),
      { type: 'response.function_call_arguments.done', ...ref, arguments: item.arguments },
      { type: 'response.output_item.done', ...at, item },
    ];
  }
  // Reasoning, built-in tool calls and item types to come: announced and finished whole.
  return [
    { type: 'response.output_item.added', ...at, item },
    { type: 'response.output_item.done', ...at, item },
  ];
}

function messageEvents(item: OutputItem, at: { output_index: number }): Unnumbered[] {
  const events: Unnumbered[] = [{ type: 'response.output_item.added', ...at, item: { ...item, status: 'in_progress', content: [] } }];
  (item.content as ContentPart[]).forEach((part, contentIndex) => {
    const ref = { item_id: item.id, ...at, content_index: contentIndex };
    if (part.type === 'output_text' && typeof part.text === 'string') {
      events.push({ type: 'response.content_part.added', ...ref, part: { ...part, text: '', annotations: [] } });
      for (const delta of pieces(part.text)) events.push({ type: 'response.output_text.delta', ...ref, delta, logprobs: [] });
      events.push({ type: 'response.output_text.done', ...ref, text: part.text, logprobs: [] });
    } else if (part.type === 'refusal' && typeof part.refusal === 'string') {
      events.push({ type: 'response.content_part.added', ...ref, part: { ...part, refusal: '' } });
      for (const delta of pieces(part.refusal)) events.push({ type: 'response.refusal.delta', ...ref, delta });
      events.push({ type: 'response.refusal.done', ...ref, refusal: part.refusal });
    } else {
      events.push({ type: 'response.content_part.added', ...ref, part });
    }
    events.push({ type: 'response.content_part.done', ...ref, part });
  });
  events.push({ type: 'response.output_item.done', ...at, item });
  return events;
}
