/** The Responses API's own pieces: cache key, SSE replay of a stored response, assembly of a streamed one. */
import { responsesBypass, responsesIdentity } from '../../src/cache/keys/responsesKey';
import { cacheIdentity } from '../../src/cache/keys/cacheKey';
import { ResponseAssembler } from '../../src/provider/assembleResponse';
import { responseToEvents } from '../../src/provider/responseToEvents';
import { outputText } from '../../src/wire/responses';
import { isCacheable } from '../../src/provider/cacheability';

const stored = {
  id: 'resp_1',
  object: 'response' as const,
  status: 'completed',
  model: 'm',
  output: [
    { type: 'reasoning', id: 'rs_1', summary: [] },
    { type: 'message', id: 'msg_1', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Paris is the capital,  of France.\n', annotations: [] }] },
    { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'f', arguments: '{"city": "Paris"}', status: 'completed' },
  ],
  usage: { input_tokens: 3, output_tokens: 4, total_tokens: 7 },
};

describe('responseToEvents', () => {
  const events = responseToEvents(stored);

  test('numbers every event from 0 and opens with created/in_progress, ends with completed carrying the response', () => {
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events.slice(0, 2).map((e) => e.type)).toEqual(['response.created', 'response.in_progress']);
    expect((events[0]!.response as { status: string; output: unknown[] }).status).toBe('in_progress');
    expect((events[0]!.response as { output: unknown[] }).output).toEqual([]);
    expect(events.at(-1)).toMatchObject({ type: 'response.completed', response: stored });
  });

  test('text and argument deltas join back exactly', () => {
    const text = events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join('');
    expect(text).toBe(outputText(stored));
    const args = events.filter((e) => e.type === 'response.function_call_arguments.delta').map((e) => e.delta).join('');
    expect(args).toBe('{"city": "Paris"}');
    expect(events.filter((e) => e.type === 'response.output_item.done').map((e) => e.output_index)).toEqual([0, 1, 2]);
  });

  test('an incomplete response ends with response.incomplete', () => {
    expect(responseToEvents({ ...stored, status: 'incomplete' }).at(-1)!.type).toBe('response.incomplete');
  });
});

describe('ResponseAssembler', () => {
  test('a replayed stream assembles to the stored response', () => {
    const assembler = new ResponseAssembler();
    for (const event of responseToEvents(stored)) assembler.add(event);
    expect(assembler.complete).toBe(true);
    expect(assembler.response()).toEqual(stored);
  });

  test('a cut or incomplete stream is not complete', () => {
    const cut = new ResponseAssembler();
    for (const event of responseToEvents(stored).slice(0, -1)) cut.add(event);
    expect(cut.complete).toBe(false);
    const incomplete = new ResponseAssembler();
    for (const event of responseToEvents({ ...stored, status: 'incomplete' })) incomplete.add(event);
    expect(incomplete.ended).toBe(true);
    expect(incomplete.complete).toBe(false);
  });
});

describe('responsesIdentity', () => {
  const base = { model: 'm', input: 'What is the capital of France?' };

  test('string input and the equivalent user message share the semantic text; every answer-deciding field changes the key', () => {
    const id = responsesIdentity(base);
    expect(id.semanticText).toBe('What is the capital of France?');
    expect(responsesIdentity({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_text', text: 'What is the capital of France?' }] }] }).semanticText).toBe(id.semanticText);
    for (const change of [{ model: 'n' }, { instructions: 'Be brief.' }, { tools: [{ type: 'function', name: 'f' }] }, { tool_choice: 'required' }, { text: { format: { type: 'json_object' } } }, { reasoning: { effort: 'high' } }, { previous_response_id: 'resp_0' }, { store: false }, { include: ['message.output_text.logprobs'] }]) {
      expect(responsesIdentity({ ...base, ...change }).key).not.toBe(id.key);
    }
    expect(responsesIdentity({ ...base, store: true }).key).toBe(id.key);
    expect(responsesIdentity({ ...base, metadata: { a: 1 }, stream: true, user: 'u' }).key).toBe(id.key);
  });

  test('previous_response_id and instructions are context: a paraphrase after another response never matches', () => {
    expect(responsesIdentity({ ...base, previous_response_id: 'resp_0' }).context).not.toBe(responsesIdentity(base).context);
    expect(responsesIdentity({ ...base, input: 'Which city is the capital of France?' }).context).toBe(responsesIdentity(base).context);
  });

  test('everything but the last user turn\'s text is in the exact part (instructions, tools, format, earlier items)', () => {
    const variants = [
      { instructions: 'Answer in French.' },
      { tools: [{ type: 'function', name: 'f' }] },
      { tool_choice: 'required' },
      { text: { format: { type: 'json_object' } } },
      { input: [{ role: 'system', content: 'Be terse.' }, { role: 'user', content: base.input }] },
      { input: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello!' }, { role: 'user', content: base.input }] },
      { input: [{ role: 'user', content: base.input }, { type: 'function_call_output', call_id: 'c', output: '42' }] },
    ];
    for (const variant of variants) {
      const id = responsesIdentity({ ...base, ...variant });
      expect(id.semanticText).toBe(base.input);
      expect(id.context).not.toBe(responsesIdentity(base).context);
    }
  });

  test('sampling fields join the key only under the include policy', () => {
    expect(responsesIdentity({ ...base, temperature: 0.2 }).key).toBe(responsesIdentity(base).key);
    expect(responsesIdentity({ ...base, temperature: 0.2 }, 'include').key).not.toBe(responsesIdentity(base, 'include').key);
  });

  test('never the key of the same question asked through chat completions', () => {
    expect(responsesIdentity(base).key).not.toBe(cacheIdentity({ model: 'm', messages: [{ role: 'user', content: base.input }] }).key);
  });

  test('conversation and background requests bypass the cache', () => {
    expect(responsesBypass({ ...base, conversation: 'conv_1' })).toBe('conversation');
    expect(responsesBypass({ ...base, background: true })).toBe('background');
    expect(responsesBypass({ ...base, previous_response_id: 'resp_0', store: false })).toBeUndefined();
  });
});

test('only completed responses with output are cacheable', () => {
  expect(isCacheable(stored)).toBe(true);
  expect(isCacheable({ ...stored, status: 'incomplete' })).toBe(false);
  expect(isCacheable({ ...stored, status: 'queued', output: [] })).toBe(false);
});
