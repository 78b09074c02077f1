/**
 * OpenAI compatibility, driven by the official `openai` npm client against
 * the real stack: every call is made twice (miss, then hit), streamed and
 * not, and provider errors must surface as the SDK's own error classes.
 */
import OpenAI from 'openai';
import { useGateway } from '../support/harness';

const h = useGateway({ REFLEX_PROVIDER_MAX_ATTEMPTS: '2' });

let client: OpenAI;

beforeAll(() => {
  // No SDK retries: each gateway answer must be the one the test sees.
  client = new OpenAI({ baseURL: `${h.gateway.url}/v1`, apiKey: 'sdk-tenant', maxRetries: 0 });
});

const user = (content: string): OpenAI.ChatCompletionMessageParam[] => [{ role: 'user', content }];

/** Calls twice: the first must be a miss, the second a hit with the same answer. */
async function missThenHit(params: OpenAI.ChatCompletionCreateParamsNonStreaming) {
  const first = await client.chat.completions.create(params).withResponse();
  expect(first.response.headers.get('x-reflex-status')).toBe('MISS');
  await h.gateway.awaitFill({ status: 200, headers: first.response.headers, body: null });
  const second = await client.chat.completions.create(params).withResponse();
  expect(second.response.headers.get('x-reflex-status')).toBe('HIT_L1_EXACT');
  expect(second.data).toEqual(first.data);
  return first.data;
}

async function collect(params: OpenAI.ChatCompletionCreateParamsStreaming) {
  const { data: stream, response } = await client.chat.completions.create(params).withResponse();
  const chunks: OpenAI.ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return { chunks, status: response.headers.get('x-reflex-status'), headers: response.headers };
}

const text = (chunks: OpenAI.ChatCompletionChunk[], index = 0) => chunks.map((c) => c.choices.find((x) => x.index === index)?.delta.content ?? '').join('');

describe('the official SDK against the gateway', () => {
  test('create without stream: miss then hit', async () => {
    const answer = await missThenHit({ model: 'test-model', messages: user('What is the capital of France?') });
    expect(answer.choices[0]!.message.content).toBe('Answer to: What is the capital of France?');
  });

  test('create with stream: miss then hit, same text and finish_reason', async () => {
    const params = { model: 'test-model', messages: user('What is the capital of Spain?'), stream: true as const };
    const miss = await collect(params);
    expect(miss.status).toBe('MISS');
    await h.gateway.awaitFill({ status: 200, headers: miss.headers, body: null });
    const hit = await collect(params);
    expect(hit.status).toBe('HIT_L1_EXACT');
    expect(text(hit.chunks)).toBe(text(miss.chunks));
    expect(text(hit.chunks)).toBe('Answer to: What is the capital of Spain?');
    expect(hit.chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
  });

  test('the SDK stream helper assembles a hit into the stored completion', async () => {
    const params = { model: 'test-model', messages: user('What is the capital of France?') };
    const stored = await client.chat.completions.create(params);
    const final = await client.chat.completions.stream(params).finalChatCompletion();
    expect(final.id).toBe(stored.id);
    expect(final.choices[0]!.message.content).toBe(stored.choices[0]!.message.content);
    expect(final.choices[0]!.finish_reason).toBe('stop');
  });

  test('tools round trip: tool call, tool result, final answer — each a miss then a hit', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { query: { type: 'string' } } } } }];
    const messages = user('What is the weather in Paris?');
    const call = await missThenHit({ model: 'test-model', messages, tools, tool_choice: 'auto' });
    const toolCall = call.choices[0]!.message.tool_calls![0]!;
    expect(call.choices[0]!.finish_reason).toBe('tool_calls');
    expect(toolCall.type === 'function' && toolCall.function.name).toBe('get_weather');
    const followUp: OpenAI.ChatCompletionMessageParam[] = [...messages, call.choices[0]!.message, { role: 'tool', tool_call_id: toolCall.id, content: 'sunny, 21C' }];
    const final = await missThenHit({ model: 'test-model', messages: followUp, tools });
    expect(final.choices[0]!.message.content).toBe('Tool said: sunny, 21C');

    const streamed = await collect({ model: 'test-model', messages, tools, tool_choice: 'auto', stream: true });
    expect(streamed.status).toBe('HIT_L1_EXACT');
    const deltas = streamed.chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(deltas.map((d) => d.function?.arguments ?? '').join('')).toBe(toolCall.type === 'function' ? toolCall.function.arguments : '');
  });

  test('json_schema: miss then hit, parseable JSON', async () => {
    const response_format: OpenAI.ResponseFormatJSONSchema = {
      type: 'json_schema',
      json_schema: { name: 'answer', strict: true, schema: { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] } },
    };
    const answer = await missThenHit({ model: 'test-model', messages: user('Answer in JSON: what is 2+2?'), response_format });
    expect(JSON.parse(answer.choices[0]!.message.content!)).toMatchObject({ answer: 'Answer in JSON: what is 2+2?' });
    expect(h.upstream.received.at(-1)?.body.response_format).toEqual(response_format);
  });

  test('n=2: both choices, miss then hit, streamed too', async () => {
    const params = { model: 'test-model', messages: user('Give me a word for happy.'), n: 2 };
    const answer = await missThenHit(params);
    expect(answer.choices.map((c) => c.index)).toEqual([0, 1]);
    const streamed = await collect({ ...params, stream: true });
    expect(streamed.status).toBe('HIT_L1_EXACT');
    expect([text(streamed.chunks, 0), text(streamed.chunks, 1)]).toEqual(answer.choices.map((c) => c.message.content));
  });

  test('everything the caller sent reaches the provider unchanged', async () => {
    const params = {
      model: 'test-model',
      messages: [{ role: 'system' as const, content: 'Be brief.' }, ...user('Pass-through check.')],
      temperature: 0.3,
      top_p: 0.9,
      max_tokens: 50,
      max_completion_tokens: 60,
      stop: ['\n\n'],
      seed: 7,
      n: 1,
      logprobs: true,
      top_logprobs: 2,
      user: 'user-123',
      presence_penalty: 0.1,
      frequency_penalty: 0.2,
      response_format: { type: 'json_object' as const },
      tool_choice: 'none' as const,
      tools: [{ type: 'function' as const, function: { name: 'noop', parameters: { type: 'object' } } }],
      parallel_tool_calls: false,
      metadata: { team: 'qa' },
      some_future_field: { nested: [1, 2] },
    };
    await client.chat.completions.create(params as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(h.upstream.received.at(-1)!.body).toEqual(params);
    await collect({ ...params, messages: user('Pass-through check, streamed.'), stream: true, stream_options: { include_usage: true } } as OpenAI.ChatCompletionCreateParamsStreaming);
    expect(h.upstream.received.at(-1)!.body).toEqual({ ...params, messages: user('Pass-through check, streamed.'), stream: true, stream_options: { include_usage: true } });
  });

  test('models.list and models.retrieve are passed through', async () => {
    const list = await client.models.list();
    expect(list.data.map((m) => m.id)).toEqual(['test-model']);
    await expect(client.models.retrieve('missing-model')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe('provider errors become the SDK error classes', () => {
  const err = (message: string, type: string, code: string | null = null) => ({ error: { message, type, param: null, code } });
  const cases: [string, number, unknown, Record<string, string>, new (...a: any[]) => unknown, number][] = [
    ['400', 400, err('bad param', 'invalid_request_error'), {}, OpenAI.BadRequestError, 400],
    ['401', 401, err('bad key', 'invalid_request_error', 'invalid_api_key'), {}, OpenAI.AuthenticationError, 401],
    ['404', 404, err('no such model', 'invalid_request_error', 'model_not_found'), {}, OpenAI.NotFoundError, 404],
    ['429', 429, err('slow down', 'rate_limit_error'), { 'retry-after': '7' }, OpenAI.RateLimitError, 429],
    ['503', 503, err('overloaded', 'server_error'), {}, OpenAI.InternalServerError, 502],
  ];

  test.each(cases)('%s without stream', async (name, status, body, headers, ErrorClass, expected) => {
    // Retryable statuses are retried (REFLEX_PROVIDER_MAX_ATTEMPTS=2), so script both attempts.
    h.upstream.reset();
    h.upstream.failNext({ status, body, headers }, { status, body, headers });
    const failure = await client.chat.completions.create({ model: 'test-model', messages: user(`Error case ${name}.`) }).catch((e) => e);
    expect(failure).toBeInstanceOf(ErrorClass);
    expect(failure.status).toBe(expected);
    if (status === 429) expect(failure.headers.get('retry-after')).toBe('7');
    if (status < 500) expect(failure.error).toMatchObject((body as { error: object }).error);
  });

  test.each(cases)('%s with stream', async (name, status, body, headers, ErrorClass, expected) => {
    h.upstream.reset();
    h.upstream.failNext({ status, body, headers }, { status, body, headers });
    const failure = await collect({ model: 'test-model', messages: user(`Streamed error case ${name}.`), stream: true }).catch((e) => e);
    expect(failure).toBeInstanceOf(ErrorClass);
    expect(failure.status).toBe(expected);
    if (status === 429) expect(failure.headers.get('retry-after')).toBe('7');
  });

  test('a stream the provider breaks off raises in the SDK instead of ending quietly', async () => {
    h.upstream.breakNextStreams = 1;
    await expect(collect({ model: 'test-model', messages: user('Broken stream for the SDK.'), stream: true })).rejects.toBeInstanceOf(OpenAI.APIError);
  });

  test('a gateway validation error is a BadRequestError', async () => {
    const failure = await client.chat.completions.create({ model: 'test-model', messages: [], temperature: 1 }).catch((e) => e);
    expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
  });
});
