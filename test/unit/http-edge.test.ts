/**
 * The HTTP edge in-process: the real Koa app and server (createApp +
 * createServer) over a stub of the services, driven with raw sockets so that
 * malformed HTTP reaches the server as sent. Every bad request must get a 4xx
 * with an OpenAI-shaped JSON body; expected outcomes log without stacks.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import pino from 'pino';
import bourne from '@hapi/bourne';
import { createApp } from '../../src/api/app';
import { Admission } from '../../src/miss/admission';
import { createServer } from '../../src/api/server';
import { loadConfig } from '../../src/config';
import { Metrics } from '../../src/metrics';
import type { CacheLookup } from '../../src/cache/lookup';
import { UsageLedger } from '../../src/ops/dashboard/usage';
import { forwardAuth } from '../support/auth';
import { apiServices, fake } from '../support/fake';
import { isOpenAIError, rawRequest, RawResponse } from '../support/rawHttp';

const logLines: Record<string, any>[] = [];
let lookupFails = false;
let server: Server;
let port: number;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
      done();
    },
  });
  const log = pino({ level: 'debug' }, sink);
  const config = loadConfig({ REFLEX_MOCK_PROVIDER: '1', REFLEX_ADMIN_TOKEN: 'admin-secret' });
  const metrics = new Metrics();
  const services = apiServices({
    config,
    log,
    metrics,
    admission: Admission.of(config.admission, metrics),
    usage: new UsageLedger(),
    ...forwardAuth(),
    lookup: fake<CacheLookup>({
      lookup: async () => {
        if (lookupFails) throw new Error('lookup exploded');
        return { status: 'MISS' };
      },
    }, 'lookup'),
  });
  server = createServer(createApp(services), log);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const send = (data: string | Buffer) => rawRequest(port, data);

function head(method: string, path: string, headers: Record<string, string | number> = {}): string {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

function post(body: string | Buffer, headers: Record<string, string | number> = {}, path = '/v1/chat/completions'): Buffer {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  return Buffer.concat([
    Buffer.from(head('POST', path, { 'Content-Type': 'application/json', 'Content-Length': bytes.length, 'X-Reflex-Cache': 'only-if-cached', ...headers })),
    bytes,
  ]);
}

function expectOpenAIError(res: RawResponse, status: number): any {
  expect({ status: res.status, openAI: isOpenAIError(res.body) }).toEqual({ status, openAI: true });
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  return JSON.parse(res.body).error;
}

const ok = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };

/** JSON text of a value nested `depth` levels (objects and arrays alternating), built as text: JSON.stringify itself recurses. */
function nested(depth: number): string {
  let open = '';
  let close = '';
  for (let i = 0; i < depth; i++) {
    open += i % 2 ? '[' : '{"x":';
    close = (i % 2 ? ']' : '}') + close;
  }
  return `${open}"leaf"${close}`;
}

const withVendor = (vendorJson: string) => `${JSON.stringify(ok).slice(0, -1)},"vendor":${vendorJson}}`;

describe('requests the HTTP parser rejects get a complete JSON error and a closed connection', () => {
  const GOOD = 'Host: 127.0.0.1\r\n';
  test.each([
    ['NUL in a header value', `GET /healthz HTTP/1.1\r\n${GOOD}X-A: a\0b\r\n\r\n`, 400],
    ['CR in a header value', `GET /healthz HTTP/1.1\r\n${GOOD}X-A: a\rb\r\n\r\n`, 400],
    ['a folded header', `GET /healthz HTTP/1.1\r\n${GOOD}X-A: a\r\n  folded\r\n\r\n`, 400],
    ['a bad chunk size', `POST /v1/chat/completions HTTP/1.1\r\n${GOOD}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`, 400],
    ['Content-Length with Transfer-Encoding', `POST /v1/chat/completions HTTP/1.1\r\n${GOOD}Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`, 400],
    ['a raw space in the path', `GET /heal thz HTTP/1.1\r\n${GOOD}\r\n`, 400],
    ['an unknown HTTP version', `GET /healthz HTTP/7.1\r\n${GOOD}\r\n`, 400],
    ['a method the parser does not know', `FROB /healthz HTTP/1.1\r\n${GOOD}\r\n`, 400],
    ['a header over 16 KB', `GET /healthz HTTP/1.1\r\n${GOOD}X-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`, 431],
  ])('%s', async (_name, raw, status) => {
    const res = await send(raw);
    const error = expectOpenAIError(res, status);
    expect(error.type).toBe('invalid_request_error');
    expect(res.headers.connection).toBe('close');
  });

  test('a bad Expect is a 417 with a JSON body', async () => {
    const error = expectOpenAIError(await send(head('GET', '/healthz', { Expect: 'teapot' })), 417);
    expect(error.message).toMatch(/Expect/);
  });

  test('CONNECT is answered with a 405, not a silent close', async () => {
    const res = await send('CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n');
    const error = expectOpenAIError(res, 405);
    expect(error.code).toBe('method_not_allowed');
    expect(res.headers.allow).toMatch(/POST/);
  });

  test('HTTP/1.1 without Host is a JSON 400', async () => {
    const error = expectOpenAIError(await send('GET /healthz HTTP/1.1\r\n\r\n'), 400);
    expect(error.message).toMatch(/Host/);
  });

  test('a well-formed request after all that is still served', async () => {
    const res = await send(head('GET', '/healthz', { Connection: 'close' }));
    expect(res.status).toBe(200);
  });
});

describe('methods', () => {
  test.each(['TRACE', 'PROPFIND', 'PURGE', 'LINK', 'PUT', 'PATCH'])('%s on the chat route is a 405 with Allow', async (method) => {
    const res = await send(head(method, '/v1/chat/completions', { 'Content-Length': 0 }));
    const error = expectOpenAIError(res, 405);
    expect(error.code).toBe('method_not_allowed');
    expect(res.headers.allow).toBe('POST');
  });

  test('an unknown method on an unknown path is a 405 naming the methods the gateway serves', async () => {
    const res = await send(head('PROPFIND', '/nowhere'));
    expectOpenAIError(res, 405);
    expect(res.headers.allow).toMatch(/GET/);
  });

  test('an implemented method on an unknown path stays a 404', async () => {
    expectOpenAIError(await send(head('GET', '/nowhere')), 404);
  });

  test('a long unknown path is clipped in the message', async () => {
    const error = expectOpenAIError(await send(head('GET', `/${'a'.repeat(8_000)}`)), 404);
    expect(error.message.length).toBeLessThan(300);
  });
});

describe('admin queries', () => {
  test.each(['tenant=a&tenant=b', 'tenant=0123456789abcdef&tenant=0123456789abcdef', 'tenant=', 'tenant=%zz'])('?%s is a 400, not ignored', async (query) => {
    const error = expectOpenAIError(await send(head('GET', `/admin/stats?${query}`, { Authorization: 'Bearer admin-secret' })), 400);
    expect(error.param).toBe('tenant');
  });
});

describe('bodies', () => {
  test('JSON nested 10,000 deep in an unknown field is a 400 naming the depth limit', async () => {
    const error = expectOpenAIError(await send(post(withVendor(nested(10_000)))), 400);
    expect(error).toMatchObject({ type: 'invalid_request_error', code: 'json_too_deep' });
    expect(error.message).toMatch(/64/);
  });

  test('65 levels are refused; 64 levels reach the handler', async () => {
    // the body object is level 1, so vendor's value holds the other 63 (or 64)
    expectOpenAIError(await send(post(withVendor(nested(64)))), 400);
    const res = await send(post(withVendor(nested(63))));
    expect(res.status).toBe(504); // only-if-cached: past the depth check, into the lookup
  });

  test('a deep array body is refused before anything else reads it', async () => {
    expectOpenAIError(await send(post('['.repeat(100_000) + ']'.repeat(100_000))), 400);
  });

  test('a body of another media type is not read as JSON (text/plain stays unparsed, as before)', async () => {
    const error = expectOpenAIError(await send(post(JSON.stringify(ok), { 'Content-Type': 'text/plain' })), 400);
    expect(error.code).not.toBe('invalid_json');
    const json = await send(post(JSON.stringify(ok), { 'Content-Type': 'application/vnd.api+json' }));
    expect(json.status).toBe(504); // a JSON media type: parsed, past the checks, into the lookup
  });

  test('a 4 MB nested body is refused as too deep without being parsed', async () => {
    const parse = jest.spyOn(bourne, 'parse');
    try {
      const half = 2 * 1024 * 1024 - 8;
      const error = expectOpenAIError(await send(post('['.repeat(half) + ']'.repeat(half))), 400);
      expect(error.code).toBe('json_too_deep');
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
  });

  test('malformed JSON is a 400 that says so', async () => {
    const error = expectOpenAIError(await send(post('{"model": ')), 400);
    expect(error).toMatchObject({ code: 'invalid_json' });
    expect(error.message).toMatch(/JSON/);
  });

  test('a gzip body is decoded', async () => {
    const res = await send(post(gzipSync(JSON.stringify(ok)), { 'Content-Encoding': 'gzip' }));
    expect(res.status).toBe(504);
  });

  test.each(['gzip', 'deflate', 'br'])('an invalid %s body is a 400 about the encoding, not about JSON', async (encoding) => {
    const error = expectOpenAIError(await send(post('this is not compressed at all', { 'Content-Encoding': encoding })), 400);
    expect(error.code).toBe('invalid_content_encoding');
    expect(error.message).toMatch(new RegExp(encoding));
    expect(error.message).not.toMatch(/not valid JSON/);
  });

  test('a truncated gzip body is a 400', async () => {
    const whole = gzipSync(JSON.stringify(ok));
    expectOpenAIError(await send(post(whole.subarray(0, whole.length - 6), { 'Content-Encoding': 'gzip' })), 400);
  });

  test('an unsupported Content-Encoding is a 415', async () => {
    const error = expectOpenAIError(await send(post(JSON.stringify(ok), { 'Content-Encoding': 'compress' })), 415);
    expect(error.message).toMatch(/compress/);
  });
});

describe('logging', () => {
  const linesFor = async (raw: string | Buffer) => {
    const before = logLines.length;
    const res = await send(raw);
    await new Promise((r) => setTimeout(r, 20));
    return { res, lines: logLines.slice(before).filter((l) => l.msg === 'request failed' || l.status >= 400 || l.err) };
  };

  test('an only-if-cached miss is logged at info without a stack', async () => {
    const { res, lines } = await linesFor(post(JSON.stringify(ok)));
    expect(res.status).toBe(504);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line.level).toBeLessThanOrEqual(30);
      expect(JSON.stringify(line)).not.toMatch(/"stack"/);
    }
  });

  test('a client error is logged at warn at most, without a stack', async () => {
    const { res, lines } = await linesFor(post('{'));
    expect(res.status).toBe(400);
    for (const line of lines) {
      expect(line.level).toBeLessThanOrEqual(40);
      expect(JSON.stringify(line)).not.toMatch(/"stack"/);
    }
  });

  test('a real failure is a 500 logged at error with its stack', async () => {
    lookupFails = true;
    try {
      const { res, lines } = await linesFor(post(JSON.stringify(ok)));
      expect(expectOpenAIError(res, 500).type).toBe('server_error');
      expect(lines.some((l) => l.level === 50 && typeof l.err?.stack === 'string')).toBe(true);
    } finally {
      lookupFails = false;
    }
  });
});
