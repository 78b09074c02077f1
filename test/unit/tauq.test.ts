import { formatCompletion } from '../../src/api/format/responseFormat';
import { toTauq } from '../../src/api/format/tauq';

describe('Tauq encoding', () => {
  test('key-value lines, barewords, quoted strings, arrays and nesting', () => {
    expect(toTauq({ name: 'Alice', age: 30, active: true, missing: null, title: 'two words', flag: 'true', tags: ['web', 'api'] })).toBe(
      ['name Alice', 'age 30', 'active true', 'missing null', 'title "two words"', 'flag "true"', 'tags [web api]'].join('\n'),
    );
    expect(toTauq({ server: { host: 'localhost', port: 8080 } })).toBe('server {\n  host localhost\n  port 8080\n}');
  });

  test('arrays of same-shaped objects become a schema with rows', () => {
    expect(toTauq([{ id: 1, name: 'Alice' }, { id: 2, name: 'Bob' }])).toBe('!def Row id name\n1 Alice\n2 Bob');
    expect(toTauq({ users: [{ id: 1, name: 'Alice' }, { id: 2, name: 'Bob Smith' }] })).toBe(
      '!def User id name\n---\nusers [\n  !use User\n  1 Alice\n  2 "Bob Smith"\n]',
    );
  });

  test('only JSON message content is re-encoded; prose and the default format are untouched', () => {
    const completion = {
      id: 'x',
      choices: [
        { index: 0, message: { role: 'assistant', content: '{"answer": "yes", "n": 2}' }, finish_reason: 'stop' },
        { index: 1, message: { role: 'assistant', content: 'plain prose' }, finish_reason: 'stop' },
      ],
    };
    expect(formatCompletion(completion, 'openai')).toBe(completion);
    const tauq = formatCompletion(completion, 'tauq').choices as { message: { content: string } }[];
    expect(tauq[0]!.message.content).toBe('answer yes\nn 2');
    expect(tauq[1]!.message.content).toBe('plain prose');
  });
});
