import { EMBEDDINGS_JSON_LIMITS, JSON_LIMITS, MAX_JSON_DEPTH, jsonShape, nestsDeeperThan, parseJsonText } from '../../src/api/middleware/body';
import { parseChatRequest } from '../../src/api/chatRequest';
import { ConfigError, loadConfig } from '../../src/config';
import { GatewayError } from '../../src/errors';

const ok = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };

describe('chat request validation', () => {
  test('unknown fields are kept for the provider', () => {
    expect(parseChatRequest({ ...ok, some_vendor_flag: { x: 1 } })).toMatchObject({ some_vendor_flag: { x: 1 } });
  });

  test.each([
    ['functions', { ...ok, functions: [] }, 'functions'],
    ['function_call', { ...ok, function_call: 'auto' }, 'function_call'],
    ['role function', { model: 'm', messages: [{ role: 'function', name: 'f', content: 'x' }] }, 'messages.0.role'],
    ['empty messages', { model: 'm', messages: [] }, 'messages'],
    ['tool without id', { model: 'm', messages: [{ role: 'tool', content: 'x' }] }, 'messages.0.tool_call_id'],
  ])('%s is a 400 naming the parameter', (_name, body, param) => {
    try {
      parseChatRequest(body);
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(GatewayError);
      expect((err as GatewayError).status).toBe(400);
      expect((err as GatewayError).toBody().error.param).toBe(param);
    }
  });

  test('assistant turns with tool calls and null content are valid', () => {
    const body = {
      model: 'm',
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'w', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'sunny' },
      ],
    };
    expect(() => parseChatRequest(body)).not.toThrow();
  });
});

describe('configuration', () => {
  test('defaults make a working embedded setup', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    expect(c.temporal.address).toBe('127.0.0.1:7233');
    expect(c.keySampling).toBe('ignore');
    expect(c.upstream.mock).toBe(false);
  });

  test('verifier guards are checked by name at start', () => {
    expect(loadConfig({ REFLEX_VERIFIER_GUARDS: 'number_mismatch, negation_mismatch' }).verifierGuards).toEqual(['number_mismatch', 'negation_mismatch']);
    expect(loadConfig({ REFLEX_VERIFIER_GUARDS: 'none' }).verifierGuards).toEqual([]);
    expect(() => loadConfig({ REFLEX_VERIFIER_GUARDS: 'number_mismatch,bogus' })).toThrow(/REFLEX_VERIFIER_GUARDS/);
  });

  test('bad values are rejected at start, naming each variable', () => {
    expect(() => loadConfig({ REFLEX_PORT: 'eighty', REFLEX_SIMILARITY_THRESHOLD: '3', REFLEX_KEY_SAMPLING: 'maybe' })).toThrow(ConfigError);
    const twoBad = () => loadConfig({ REFLEX_PORT: 'eighty', REFLEX_UPSTREAM_URL: 'not a url' });
    expect(twoBad).toThrow(/REFLEX_PORT/);
    expect(twoBad).toThrow(/REFLEX_UPSTREAM_URL/);
  });
});

describe('the nesting scan that runs before any JSON parse', () => {
  test('counts objects and arrays, not brackets inside strings; escapes are skipped', () => {
    expect(nestsDeeperThan(String.raw`{"a":[{"b":1}]}`, 3)).toBe(false);
    expect(nestsDeeperThan(String.raw`{"a":[{"b":[1]}]}`, 3)).toBe(true);
    expect(nestsDeeperThan(String.raw`{"a":"[[[[[[[[{{{{"}`, 1)).toBe(false);
    // An escaped quote does not end the string: the brackets after it are still inside it.
    expect(nestsDeeperThan(String.raw`{"a":"\"[[[[[["}`, 1)).toBe(false);
    // An escaped backslash does not escape the quote after it: the string ends and the brackets count.
    expect(nestsDeeperThan(String.raw`{"a":"\\",[[[[[[]]]]]]}`, 1)).toBe(true);
    expect(nestsDeeperThan('', 0)).toBe(false);
  });

  test('parseJsonText refuses a too-deep body with json_too_deep and parses the rest as before', () => {
    expect(() => parseJsonText('['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1))).toThrow(/deeper than/);
    expect(parseJsonText('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH))).toBeDefined();
    expect(parseJsonText('')).toEqual({});
    expect(() => parseJsonText('"text"')).toThrow(/only supports object and array/);
  });
});

test.each([
  ['objects and arrays', 'containers', (n: number) => '[' + '[],'.repeat(n - 2) + '[]]', /more than 100,000 JSON objects and arrays/],
  ['object members', 'members', (n: number) => '{' + Array.from({ length: n }, (_, i) => `"${i}":1`).join(',') + '}', /more than 20,000 JSON object members/],
  ['values', 'values', (n: number) => '[' + '1,'.repeat(n - 1) + '1]', /more than 100,000 JSON values/],
] as const)('a body with more %s than JSON_LIMITS allows is refused before it is parsed (json_too_large)', (_what, limit, body, message) => {
  const max = JSON_LIMITS[limit];
  // A values cap of n counts commas: n + 1 elements is the most that fits.
  const fits = limit === 'values' ? max + 1 : max;
  expect(jsonShape(body(fits + 1), JSON_LIMITS)).toBe(limit);
  expect(() => parseJsonText(body(fits + 1))).toThrow(message);
  expect(jsonShape(body(fits), JSON_LIMITS)).toBe('ok');
  expect(parseJsonText(body(fits))).toBeDefined();
});

test('/v1/embeddings may carry up to 300,000 values (token lists); other routes 100,000', () => {
  const tokens = (n: number) => '{"model":"m","input":[' + '1,'.repeat(n - 1) + '1]}';
  expect(jsonShape(tokens(300_000), EMBEDDINGS_JSON_LIMITS)).toBe('ok');
  expect(jsonShape(tokens(300_001), EMBEDDINGS_JSON_LIMITS)).toBe('values');
  expect(jsonShape(tokens(100_001), JSON_LIMITS)).toBe('values');
});
