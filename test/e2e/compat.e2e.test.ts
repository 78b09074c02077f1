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

describe('the Responses API through the official SDK', () => {
  /** Calls twice: the first must be a miss, the second a hit with the same answer. */
  async function missThenHit(params: OpenAI.Responses.ResponseCreateParamsNonStreaming) {
    const first = await client.responses.create(params).withResponse();
    expect(first.response.headers.get('x-reflex-status')).toBe('MISS');
    await h.gateway.awaitFill({ status: 200, headers: first.response.headers, body: null });
    const second = await client.responses.create(params).withResponse();
    expect(second.response.headers.get('x-reflex-status')).toBe('HIT_L1_EXACT');
    expect(second.data).toEqual(first.data);
    return first.data;
  }

  async function events(params: OpenAI.Responses.ResponseCreateParamsStreaming) {
    const { data: stream, response } = await client.responses.create(params).withResponse();
    const all: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) all.push(event);
    return { all, status: response.headers.get('x-reflex-status'), headers: response.headers };
  }
  const deltas = (all: OpenAI.Responses.ResponseStreamEvent[]) => all.flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : [])).join('');

  test('responses.create twice: the second is a hit with the same output_text', async () => {
    const answer = await missThenHit({ model: 'test-model', input: 'What is the capital of Italy?' });
    expect(answer.output_text).toBe('Answer to: What is the capital of Italy?');
    expect(h.upstream.received.at(-1)!.path).toBe('/v1/responses');
  });

  test('a streamed responses.create on a cached input replays deltas whose text equals it, numbered from 0', async () => {
    const params = { model: 'test-model', input: 'What is the capital of Italy?' };
    const stored = await client.responses.create(params);
    const calls = h.upstream.calls;
    const hit = await events({ ...params, stream: true });
    expect(hit.status).toBe('HIT_L1_EXACT');
    expect(h.upstream.calls).toBe(calls);
    expect(deltas(hit.all)).toBe(stored.output_text);
    expect(hit.all.map((e) => e.sequence_number)).toEqual(hit.all.map((_, i) => i));
    expect(hit.all[0]!.type).toBe('response.created');
    const done = hit.all.at(-1)!;
    expect(done.type === 'response.completed' && done.response.id).toBe(stored.id);
  });

  test('a streamed miss is relayed as it arrives, cached after response.completed, and served to JSON and the stream helper', async () => {
    const params = { model: 'test-model', input: 'What is the capital of Portugal?' };
    const miss = await events({ ...params, stream: true });
    expect(miss.status).toBe('MISS');
    expect(deltas(miss.all)).toBe('Answer to: What is the capital of Portugal?');
    // The upstream's own events (3-character deltas) reach the client as they were.
    expect(miss.all.filter((e) => e.type === 'response.output_text.delta').length).toBeGreaterThan(10);
    await h.gateway.awaitFill({ status: 200, headers: miss.headers, body: null });
    const json = await client.responses.create(params).withResponse();
    expect(json.response.headers.get('x-reflex-status')).toBe('HIT_L1_EXACT');
    expect(json.data.output_text).toBe(deltas(miss.all));
    // The stream helper's final response carries no output_text convenience (the SDK adds it only to create()).
    const final = await client.responses.stream(params).finalResponse();
    const message = final.output[0]!;
    expect(message.type === 'message' && message.content[0]!.type === 'output_text' && message.content[0]!.text).toBe(json.data.output_text);
    expect(final.id).toBe(json.data.id);
  });

  test('function calls round trip, and a follow-up keyed by previous_response_id is its own entry', async () => {
    const tools: OpenAI.Responses.Tool[] = [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { query: { type: 'string' } } }, strict: false }];
    const call = await missThenHit({ model: 'test-model', input: 'Weather in Rome?', tools });
    const fc = call.output[0]!;
    expect(fc.type === 'function_call' && fc.name).toBe('get_weather');
    const streamed = await events({ model: 'test-model', input: 'Weather in Rome?', tools, stream: true });
    expect(streamed.status).toBe('HIT_L1_EXACT');
    const args = streamed.all.flatMap((e) => (e.type === 'response.function_call_arguments.delta' ? [e.delta] : [])).join('');
    expect(args).toBe(fc.type === 'function_call' ? fc.arguments : '');
    const followUp = await missThenHit({
      model: 'test-model',
      previous_response_id: call.id,
      input: [{ type: 'function_call_output', call_id: fc.type === 'function_call' ? fc.call_id : '', output: 'sunny' }],
      tools,
    });
    expect(followUp.output_text).toBe('Tool said: sunny');
    expect(h.upstream.received.at(-1)!.body.previous_response_id).toBe(call.id);
  });

  test('stateful options reach the provider untouched; conversation requests bypass the cache', async () => {
    const params = { model: 'test-model', input: 'Stateful pass-through.', store: false, metadata: { team: 'qa' }, truncation: 'auto' as const, some_future_field: 1 };
    await client.responses.create(params as OpenAI.Responses.ResponseCreateParamsNonStreaming);
    expect(h.upstream.received.at(-1)!.body).toEqual(params);
    const conv = { model: 'test-model', input: 'In a conversation.', conversation: 'conv_123' };
    for (let i = 0; i < 2; i++) {
      const res = await client.responses.create(conv).withResponse();
      expect(res.response.headers.get('x-reflex-status')).toBe('BYPASS');
      expect(res.response.headers.get('x-reflex-bypass')).toBe('conversation');
      expect(h.upstream.received.at(-1)!.body).toEqual(conv);
    }
  });

  test('retrieve and delete pass through to the provider', async () => {
    const created = await client.responses.create({ model: 'test-model', input: 'Keep this one.' });
    const got = await client.responses.retrieve(created.id);
    expect(got.id).toBe(created.id);
    await client.responses.delete(created.id);
    await expect(client.responses.retrieve(created.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  test('an incomplete response is answered but not cached', async () => {
    const params = { model: 'test-model', input: 'Cut me short [truncate]' };
    const first = await client.responses.create(params).withResponse();
    expect(first.data.status).toBe('incomplete');
    await h.gateway.awaitFill({ status: 200, headers: first.response.headers, body: null });
    const second = await client.responses.create(params).withResponse();
    expect(second.response.headers.get('x-reflex-status')).toBe('MISS');
  });

  test('errors: provider 4xx keeps its class, validation is a BadRequestError, a broken stream raises', async () => {
    h.upstream.reset();
    h.upstream.failNext({ status: 404, body: { error: { message: 'no such model', type: 'invalid_request_error', param: null, code: 'model_not_found' } } });
    await expect(client.responses.create({ model: 'test-model', input: 'Error case responses.' })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    h.upstream.failNext({ status: 429, body: { error: { message: 'slow', type: 'rate_limit_error', param: null, code: null } }, headers: { 'retry-after': '3' } }, { status: 429, headers: { 'retry-after': '3' } });
    const limited = await events({ model: 'test-model', input: 'Streamed error case responses.', stream: true }).catch((e) => e);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    await expect(client.responses.create({ model: 'test-model', input: 'x', temperature: 5 })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    h.upstream.breakNextStreams = 1;
    await expect(events({ model: 'test-model', input: 'Broken responses stream.', stream: true })).rejects.toBeInstanceOf(OpenAI.APIError);
  });
});

describe('embeddings through the official SDK', () => {
  test('[a,b,c] then [a,b,c,d] sends 3 then 1 items upstream; a, b, c are identical', async () => {
    h.upstream.reset();
    const first = await client.embeddings.create({ model: 'embed-model', input: ['alpha', 'beta', 'gamma'] }).withResponse();
    expect(first.response.headers.get('x-reflex-status')).toBe('MISS');
    const second = await client.embeddings.create({ model: 'embed-model', input: ['alpha', 'beta', 'gamma', 'delta one'] }).withResponse();
    expect(h.upstream.embeddedItems).toEqual([3, 1]);
    expect(second.response.headers.get('x-reflex-cached-items')).toBe('3/4');
    expect(second.data.data.slice(0, 3).map((d) => d.embedding)).toEqual(first.data.data.map((d) => d.embedding));
    expect(second.data.data.map((d) => d.index)).toEqual([0, 1, 2, 3]);
    // The fake upstream counts words: 1 + 1 + 1 + 2.
    expect(second.data.usage).toEqual({ prompt_tokens: 5, total_tokens: 5 });
    const third = await client.embeddings.create({ model: 'embed-model', input: ['delta one', 'alpha'] }).withResponse();
    expect(third.response.headers.get('x-reflex-status')).toBe('HIT_L1_EXACT');
    expect(h.upstream.embeddedItems).toEqual([3, 1]);
    expect(third.data.data[1]!.embedding).toEqual(first.data.data[0]!.embedding);
  });

  test('float and base64 are one stored vector; dimensions is part of the key', async () => {
    h.upstream.reset();
    const floats = await client.embeddings.create({ model: 'embed-model', input: 'one vector', encoding_format: 'float' });
    const b64 = await client.embeddings.create({ model: 'embed-model', input: 'one vector', encoding_format: 'base64' });
    expect(h.upstream.embeddedItems).toEqual([1]);
    const decoded = Buffer.from(b64.data[0]!.embedding as unknown as string, 'base64');
    expect(Array.from(new Float32Array(decoded.buffer, decoded.byteOffset, decoded.length / 4))).toEqual(floats.data[0]!.embedding);
    // The SDK's default (no encoding_format) asks for base64 and decodes it: the same numbers.
    const sdkDefault = await client.embeddings.create({ model: 'embed-model', input: 'one vector' });
    expect(sdkDefault.data[0]!.embedding).toEqual(floats.data[0]!.embedding);
    const smaller = await client.embeddings.create({ model: 'embed-model', input: 'one vector', dimensions: 4 });
    expect(smaller.data[0]!.embedding).toHaveLength(4);
    expect(h.upstream.embeddedItems).toEqual([1, 1]);
  });

  test('errors: bad input is a BadRequestError, a provider 401 an AuthenticationError', async () => {
    await expect(client.embeddings.create({ model: 'embed-model', input: [] })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    h.upstream.failNext({ status: 401, body: { error: { message: 'bad key', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } } });
    await expect(client.embeddings.create({ model: 'embed-model', input: 'never cached 401' })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});
