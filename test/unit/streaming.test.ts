import { ChunkAssembler } from '../../src/provider/assemble';
import { completionToChunks, pieces } from '../../src/provider/toChunks';
import { SingleFlight } from '../../src/miss/singleFlight';

const prose = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'm',
  system_fingerprint: 'fp',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello  there,\nworld! ', refusal: null }, logprobs: null, finish_reason: 'stop' }],
  usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
};

const tools = {
  id: 'chatcmpl-2',
  object: 'chat.completion',
  created: 2,
  model: 'm',
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant',
        content: null,
        refusal: null,
        tool_calls: [
          { id: 'call_a', type: 'function', function: { name: 'lookup', arguments: '{"q": "a b c"}' } },
          { id: 'call_b', type: 'function', function: { name: 'other', arguments: '{}' } },
        ],
      },
      logprobs: null,
      finish_reason: 'tool_calls',
    },
    { index: 1, message: { role: 'assistant', content: 'second', refusal: null }, logprobs: null, finish_reason: 'stop' },
  ],
};

function roundTrip(completion: Record<string, unknown>, includeUsage = false) {
  const assembler = new ChunkAssembler();
  for (const chunk of completionToChunks(completion, { includeUsage })) assembler.add(chunk);
  return assembler;
}

describe('stream replay and reassembly', () => {
  test('pieces join back exactly, whitespace included', () => {
    for (const text of ['', ' ', 'a', '  lead and trail  ', 'line\n\nbreaks\tand tabs']) expect(pieces(text).join('')).toBe(text);
  });

  test('prose: one stable id, role first, finish last, content intact', () => {
    const chunks = completionToChunks(prose, { includeUsage: false });
    expect(new Set(chunks.map((c) => c.id))).toEqual(new Set(['chatcmpl-1']));
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && !('usage' in c))).toBe(true);
    const assembler = roundTrip(prose);
    expect(assembler.complete).toBe(true);
    expect(assembler.completion()).toEqual({ ...prose, usage: undefined, choices: prose.choices });
  });

  test('include_usage: usage:null on every chunk, then a usage chunk with no choices', () => {
    const chunks = completionToChunks(prose, { includeUsage: true });
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual(prose.usage);
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect(roundTrip(prose, true).completion()).toEqual(prose);
  });

  test('tool calls and several choices survive the round trip', () => {
    expect(roundTrip(tools).completion()).toEqual(tools);
  });

  test('a stream without its final chunk is not complete', () => {
    const assembler = new ChunkAssembler();
    for (const chunk of completionToChunks(prose, { includeUsage: false }).slice(0, -1)) assembler.add(chunk);
    expect(assembler.complete).toBe(false);
  });
});

describe('single flight', () => {
  test('followers get the leader outcome; the key is free again after', async () => {
    const flights = new SingleFlight<string>();
    expect(flights.join('k')).toBeUndefined();
    const leader = flights.lead('k');
    const follower = flights.join('k');
    leader.settle('answer');
    await expect(follower).resolves.toBe('answer');
    expect(flights.join('k')).toBeUndefined();
  });
});
