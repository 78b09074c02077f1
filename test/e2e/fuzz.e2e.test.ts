/**
 * Fuzzing the HTTP edge of the real gateway process: hundreds of generated
 * bad requests (seeded, so a failure reproduces: REFLEX_FUZZ_SEED=<n>) sent
 * over raw sockets to the gateway this test started on 127.0.0.1. Every one
 * is bad by construction, so every answer must be a 4xx with an
 * OpenAI-shaped JSON error body; none may go unanswered, none may reach the
 * provider, and the process must still be healthy afterwards.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { useGateway } from '../support/harness';
import { isOpenAIError, rawRequest, RawResponse } from '../support/rawHttp';

const ADMIN = 'fuzz-admin-token';
const MAX_BODY = 65_536;
const h = useGateway({ REFLEX_ADMIN_TOKEN: ADMIN, REFLEX_MAX_BODY_BYTES: String(MAX_BODY) });

const SEED = Number(process.env.REFLEX_FUZZ_SEED ?? 0x5eed);
const PER_KIND = 100;
const CONCURRENCY = 12;

/** mulberry32: a tiny seeded PRNG, enough to make each run the same. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)]!;
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(0, 255)));
  const text = (n: number, alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~') =>
    Array.from({ length: n }, () => alphabet[int(0, alphabet.length - 1)]).join('');
  return { next, int, pick, bytes, text };
}
type Rng = ReturnType<typeof prng>;

interface Case {
  kind: string;
  label: string;
  data: Buffer;
}

const CRLF = '\r\n';
const CHAT = '/v1/chat/completions';
const ROUTES = [CHAT, '/healthz', '/ready', '/metrics', '/v1/models', '/v1/models/test-model', '/admin/stats'];
const valid = () => ({ model: 'test-model', messages: [{ role: 'user', content: 'Fuzz what is 2 plus 2' }] });

function request(method: string, path: string, headers: [string, string | number][], body: Buffer | string = ''): Buffer {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const head = [`${method} ${path} HTTP/1.1`, ...headers.map(([k, v]) => `${k}: ${v}`)].join(CRLF);
  return Buffer.concat([Buffer.from(head + CRLF + CRLF, 'latin1'), bytes]);
}

function chatPost(body: Buffer | string, extra: [string, string | number][] = [], contentType = 'application/json'): Buffer {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const headers: [string, string | number][] = [['Host', '127.0.0.1'], ['Content-Length', bytes.length], ...extra];
  if (contentType) headers.push(['Content-Type', contentType]);
  return request('POST', CHAT, headers, bytes);
}

/** JSON text nested `depth` levels deep, built as text (stringify itself would recurse). */
function deep(rng: Rng, depth: number): string {
  const opens: string[] = [];
  for (let i = 0; i < depth; i++) opens.push(rng.next() < 0.5 ? '[' : `{"${rng.text(rng.int(1, 3))}":`);
  const closes = opens.map((o) => (o === '[' ? ']' : '}')).reverse();
  return `${opens.join('')}${rng.pick(['1', '"x"', 'null', '{}', '[]'])}${closes.join('')}`;
}

// ---- generators: each returns a request that is bad whatever the server tolerates ----

/** Malformed HTTP that Node's parser refuses, sent to a GET on the chat route (a 405 even if accepted). */
function malformedHttp(rng: Rng): Case {
  const base: [string, string][] = [['Host', '127.0.0.1']];
  const headerLines = (extra: string) => `GET ${CHAT} HTTP/1.1${CRLF}Host: 127.0.0.1${CRLF}${extra}${CRLF}`;
  const variants: [string, () => Buffer][] = [
    ['control byte in header value', () => Buffer.from(headerLines(`X-Fuzz: a${String.fromCharCode(rng.pick([0, 1, 8, 11, 12, 13, 27, 127]))}b${CRLF}`), 'latin1')],
    ['bad byte in header name', () => Buffer.from(headerLines(`X-F${rng.pick(['\0', ' ', '(', '"', '/', '\x7f', '@', '{'])}z: 1${CRLF}`), 'latin1')],
    ['folded header', () => Buffer.from(headerLines(`X-Fuzz: a${CRLF}${rng.pick([' ', '\t'])}folded${CRLF}`), 'latin1')],
    ['header without colon', () => Buffer.from(headerLines(`X-Fuzz-${rng.text(8)}${CRLF}`), 'latin1')],
    ['bare LF line ending', () => Buffer.from(`GET ${CHAT} HTTP/1.1\nHost: 127.0.0.1\nX-A: b\r\n\r\n`, 'latin1')],
    ['header over 16 KB', () => Buffer.from(headerLines(`X-Big: ${rng.text(rng.int(16_500, 40_000))}${CRLF}`), 'latin1')],
    ['too many header bytes in many headers', () => Buffer.from(headerLines(Array.from({ length: 1200 }, (_, i) => `X-H${i}: ${rng.text(12)}${CRLF}`).join('')), 'latin1')],
    ['bad HTTP version', () => Buffer.from(`GET ${CHAT} ${rng.pick(['HTTP/7.1', 'HTTP/1.x', 'http/1.1', 'HTTP/11', 'HTTX/1.1', 'HTTP/1.1.1'])}${CRLF}Host: 127.0.0.1${CRLF}${CRLF}`, 'latin1')],
    ['unknown method token', () => Buffer.from(`${rng.pick(['FROB', 'get', 'G ET', 'GET\t', 'P0ST', rng.text(6, 'QWXZJK')])} ${CHAT} HTTP/1.1${CRLF}Host: 127.0.0.1${CRLF}${CRLF}`, 'latin1')],
    ['raw space in path', () => Buffer.from(`GET /v1/chat/${rng.text(3)} ${rng.text(3)} HTTP/1.1${CRLF}Host: 127.0.0.1${CRLF}${CRLF}`, 'latin1')],
    ['control byte in path', () => Buffer.from(`GET ${CHAT}${String.fromCharCode(rng.pick([0, 1, 9, 10, 127]))}x HTTP/1.1${CRLF}Host: 127.0.0.1${CRLF}${CRLF}`, 'latin1')],
    ['garbage request line', () => Buffer.concat([rng.bytes(rng.int(1, 60)), Buffer.from(CRLF + CRLF)])],
    ['HTTP/2 preface', () => Buffer.from(`PRI * HTTP/2.0${CRLF}${CRLF}SM${CRLF}${CRLF}`, 'latin1')],
    ['bad Expect', () => request('GET', CHAT, [...base, ['Expect', rng.pick(['teapot', '200-ok', '100-continue-please', rng.text(10)])]])],
    ['missing Host', () => Buffer.from(`GET ${CHAT} HTTP/1.1${CRLF}${CRLF}`, 'latin1')],
    ['CONNECT', () => Buffer.from(`CONNECT ${rng.pick(['127.0.0.1:443', 'example.com:80', '[::1]:22'])} HTTP/1.1${CRLF}Host: 127.0.0.1${CRLF}${CRLF}`, 'latin1')],
  ];
  // POSTs whose framing is broken (the body, if ever read, is not a valid request either).
  const post = (headers: string, body: string) => Buffer.from(`POST ${CHAT} HTTP/1.1${CRLF}Host: 127.0.0.1${CRLF}Content-Type: application/json${CRLF}${headers}${CRLF}${body}`, 'latin1');
  variants.push(
    ['bad chunk size', () => post(`Transfer-Encoding: chunked${CRLF}`, `${rng.pick(['zz', '-1', '0x10', 'g', ' 5', '5 5', 'ffffffffffffffffff'])}${CRLF}{}${CRLF}0${CRLF}${CRLF}`)],
    ['chunk without CRLF', () => post(`Transfer-Encoding: chunked${CRLF}`, `2${CRLF}{}XX0${CRLF}${CRLF}`)],
    ['Content-Length with Transfer-Encoding', () => post(`Content-Length: 2${CRLF}Transfer-Encoding: chunked${CRLF}`, `2${CRLF}{}${CRLF}0${CRLF}${CRLF}`)],
    ['two different Content-Lengths', () => post(`Content-Length: 2${CRLF}Content-Length: 3${CRLF}`, '{} ')],
    ['bad Content-Length', () => post(`Content-Length: ${rng.pick(['-1', 'abc', '1e3', '0x10', '2 2', '+2'])}${CRLF}`, '{}')],
    ['Transfer-Encoding not ending in chunked', () => post(`Transfer-Encoding: ${rng.pick(['chunked, gzip', 'gzip', 'xchunked', 'chunked;q=1'])}${CRLF}`, `2${CRLF}{}${CRLF}0${CRLF}${CRLF}`)],
  );
  const [label, make] = rng.pick(variants);
  return { kind: 'malformed http', label, data: make() };
}

/** Methods the gateway does not serve, on its routes and elsewhere. */
function badMethod(rng: Rng): Case {
  const method = rng.pick(['TRACE', 'PROPFIND', 'PROPPATCH', 'PURGE', 'LINK', 'UNLINK', 'LOCK', 'UNLOCK', 'MKCOL', 'COPY', 'MOVE', 'SEARCH', 'REPORT', 'MKCALENDAR', 'NOTIFY', 'SUBSCRIBE', 'UNSUBSCRIBE', 'M-SEARCH', 'MERGE', 'CHECKOUT', 'ACL', 'BIND', 'REBIND', 'UNBIND', 'PUT', 'PATCH', 'DELETE']);
  const path = rng.next() < 0.85 ? rng.pick(ROUTES.filter((r) => !r.startsWith('/admin'))) : `/${rng.text(rng.int(1, 20))}`;
  // DELETE is served under /admin only; elsewhere it is a 405 like the rest.
  const body = rng.next() < 0.3 ? JSON.stringify(valid()) : '';
  return { kind: 'bad method', label: `${method} ${path}`, data: request(method, path, [['Host', '127.0.0.1'], ['Content-Length', Buffer.byteLength(body)], ['Content-Type', 'application/json']], body) };
}

const ROUTE_LIKE = /^\/(healthz|ready|metrics|v1\/models|v1\/chat\/completions\/?$)/i;

/** Paths no route serves: junk, traversal, encodings, overlong. */
function badPath(rng: Rng): Case {
  let path = '';
  do {
    const segment = () =>
      rng.pick([
        () => rng.text(rng.int(1, 12)),
        () => '..',
        () => '%2e%2e',
        () => '%2f',
        () => '%00',
        () => `%${rng.text(2, 'GHZXYZ%')}`,
        () => encodeURIComponent('ü∂✓'),
        () => '',
        () => rng.text(rng.int(1, 6), "!$&'()*+,;=:@"),
        () => rng.text(rng.int(2000, 7000)),
      ])();
    const prefix = rng.pick(['', 'v1/', 'v1/chat/', 'admin/', 'v2/', 'v1/completions/']);
    path = `/${prefix}${Array.from({ length: rng.int(1, 4) }, segment).join('/')}`;
    if (rng.next() < 0.2) path += `?${rng.text(rng.int(1, 30), 'abc=&%[]+;')}`;
  } while (ROUTE_LIKE.test(path) || path === '/');
  const method = rng.pick(['GET', 'POST', 'DELETE', 'HEAD'] as const);
  // HEAD would be answered without a body; GET says the same with one.
  const m = method === 'HEAD' ? 'GET' : method;
  const body = m === 'POST' ? JSON.stringify(valid()) : '';
  return { kind: 'bad path', label: `${m} ${path.slice(0, 80)}`, data: request(m, path, [['Host', '127.0.0.1'], ['Content-Type', 'application/json'], ['Content-Length', Buffer.byteLength(body)]], body) };
}

/** Chat bodies that are not valid JSON, not a valid request, too deep or too large. */
function badBody(rng: Rng): Case {
  const good = JSON.stringify(valid());
  const mistyped: [string, () => Record<string, unknown>][] = [
    ['model', () => ({ model: rng.pick([123, null, true, [], {}, '', 'm'.repeat(300)]) })],
    ['messages', () => ({ messages: rng.pick([null, 'hi', {}, [], [null], [1], [{}], [{ role: 'user' }], [{ role: 'wizard', content: 'x' }], [{ role: 'user', content: 5 }], [{ role: 'user', content: [] }], [{ role: 'tool', content: 'x' }], [{ role: 'function', name: 'f', content: 'x' }], [{ role: 'assistant', tool_calls: 'x' }], [{ role: 'user', content: [{ text: 'no type' }] }]]) })],
    ['temperature', () => ({ temperature: rng.pick(['hot', -1, 2.5, null, [], {}]) })],
    ['top_p', () => ({ top_p: rng.pick([1.5, -0.1, 'x', null]) })],
    ['n', () => ({ n: rng.pick([0, 129, 1.5, '2', -1, null]) })],
    ['stream', () => ({ stream: rng.pick(['yes', 1, 0, null, {}]) })],
    ['max_tokens', () => ({ max_tokens: rng.pick([0, -5, 1.2, '10', null]) })],
    ['tools', () => ({ tools: rng.pick(['x', [{}], [null], [{ type: 'function', function: {} }], [{ type: 'function', function: { name: '' } }], [{ type: 'function', function: { name: 'f'.repeat(65) } }], [{ type: 'retrieval' }], [{ type: 'function', function: { name: 'f', parameters: 'x' } }]]) })],
    ['tool_choice', () => ({ tool_choice: rng.pick([5, 'maybe', null, [], true]) })],
    ['response_format', () => ({ response_format: rng.pick([{ type: 'xml' }, 'json', 5, {}, null]) })],
    ['legacy functions', () => ({ functions: [{ name: 'f' }] })],
    ['legacy function_call', () => ({ function_call: 'auto' })],
  ];
  const variants: [string, () => Buffer][] = [
    ['truncated JSON', () => Buffer.from(good.slice(0, rng.int(0, good.length - 1)))],
    ['flipped byte', () => {
      const b = Buffer.from(good);
      // flip a structural byte (the valid body has none inside its strings) so it cannot stay a valid request
      const structural = [...b.keys()].filter((i) => '{}[]:,"'.includes(String.fromCharCode(b[i]!)));
      b[rng.pick(structural)] = rng.pick([0x00, 0x27, 0x3b, 0x7f, 0xff, 0x5c]);
      return b;
    }],
    ['non-JSON syntax', () => Buffer.from(rng.pick([
      "{'model':'m','messages':[]}", '{"model":"m",}', '{"model":NaN}', '{"model":Infinity}', '{model:"m"}', '{"a":1}/* c */', good + good, '{"a":"\\x41"}', '{"a":"\\u12"}',
    ]))],
    ['not an object', () => Buffer.from(rng.pick(['', ' ', 'null', 'true', '"str"', '123', '[]', `[${good}]`, '\n\n']))],
    ['binary junk', () => rng.bytes(rng.int(1, 500))],
    ['mistyped field', () => {
      const body: Record<string, unknown> = valid();
      for (let i = rng.int(1, 3); i > 0; i--) Object.assign(body, rng.pick(mistyped)[1]());
      return Buffer.from(JSON.stringify(body));
    }],
    ['nested too deep', () => {
      const nest = deep(rng, rng.pick([65, 66, 100, 1_000, 3_000, 10_000, 20_000]));
      const where = rng.pick([
        (n: string) => `{"model":"test-model","messages":[{"role":"user","content":"x"}],"vendor_${rng.text(4)}":${n}}`,
        (n: string) => `{"model":"test-model","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"p":${n}}}}]}`,
        (n: string) => `{"model":"test-model","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":${n}}}`,
        (n: string) => `{"model":"test-model","messages":[{"role":"user","content":"x","extra":${n}}]}`,
        (n: string) => `{"model":"test-model","messages":${n}}`,
        (n: string) => n,
      ]);
      return Buffer.from(where(nest));
    }],
    ['over the size limit', () => Buffer.from(JSON.stringify({ ...valid(), padding: rng.text(rng.int(MAX_BODY + 1, MAX_BODY * 4)) }))],
  ];
  const [label, make] = rng.pick(variants);
  return { kind: 'bad body', label, data: chatPost(make()) };
}

/** Valid bodies behind headers the gateway refuses (or a body it cannot read because of its headers). */
function badHeaders(rng: Rng): Case {
  const good = JSON.stringify(valid());
  const variants: [string, () => Buffer][] = [
    ['X-Reflex-Cache', () => chatPost(good, [['X-Reflex-Cache', rng.pick(['yes', 'only-if', 'BYPASS!', rng.text(rng.int(1, 40))])]])],
    ['X-Reflex-Threshold', () => chatPost(good, [['X-Reflex-Threshold', rng.pick(['abc', '2', '-1', '0.1', 'NaN', 'Infinity', '1e9', '0.5'])]])],
    ['X-Reflex-Format', () => chatPost(good, [['X-Reflex-Format', rng.pick(['xml', 'json', 'tauq2', rng.text(8)])]])],
    ['non-JSON Content-Type', () => chatPost(good, [], rng.pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/jsonx', 'garbage', 'application/']))],
    ['no Content-Type', () => chatPost(good, [], '')],
    ['oversized Authorization', () => chatPost(good, [['Authorization', `Bearer ${rng.text(rng.int(17_000, 30_000))}`]])],
    ['oversized X-Reflex-Cache', () => chatPost(good, [['X-Reflex-Cache', rng.text(rng.int(16_500, 20_000))]])],
  ];
  const [label, make] = rng.pick(variants);
  return { kind: 'bad headers', label, data: make() };
}

/** Bodies whose Content-Encoding is wrong, unsupported, truncated or a bomb. */
function badEncoding(rng: Rng): Case {
  const good = JSON.stringify(valid());
  const encoders: Record<string, (b: Buffer) => Buffer> = { gzip: gzipSync, deflate: deflateSync, br: brotliCompressSync };
  const name = rng.pick(Object.keys(encoders));
  const variants: [string, () => [string, Buffer]][] = [
    ['not compressed', () => [name, Buffer.from(good)]],
    ['random bytes', () => [name, rng.bytes(rng.int(1, 400))]],
    ['truncated', () => {
      const whole = encoders[name]!(Buffer.from(good));
      return [name, whole.subarray(0, rng.int(1, whole.length - 2))];
    }],
    // zlib's decoder takes gzip and deflate for each other, so only a brotli/zlib mix is wrong
    ['other encoder', () => (name === 'br' ? [name, gzipSync(Buffer.from(good))] : [name, brotliCompressSync(Buffer.from(good))])],
    ['compressed invalid JSON', () => [name, encoders[name]!(Buffer.from(good.slice(0, -2)))]],
    ['bomb', () => [name, encoders[name]!(Buffer.alloc(MAX_BODY * 20, 0x20))]],
    ['unsupported', () => [rng.pick(['compress', 'x-gzip', 'GZIP', 'gzip, gzip', 'zstd', 'identity, gzip', rng.text(6)]), Buffer.from(good)]],
  ];
  const [label, make] = rng.pick(variants);
  const [encoding, body] = make();
  return { kind: 'bad encoding', label: `${label} (${encoding})`, data: chatPost(body, [['Content-Encoding', encoding]]) };
}

/** Admin routes with bad credentials, bad ids and bad query strings. */
function badAdmin(rng: Rng): Case {
  const junkId = () => {
    let id = '';
    do id = rng.pick([() => rng.text(rng.int(0, 20)), () => rng.text(16, 'abcdefgh0123456789'), () => rng.text(15, '0123456789abcdef'), () => rng.text(16, '0123456789ABCDEF'), () => '%2e%2e%2f' + rng.text(8), () => rng.text(64, '0123456789abcdefg')])();
    while (/^[0-9a-f]{16}$/.test(id) || /^[0-9a-f]{64}$/.test(id));
    return id;
  };
  const hex = (n: number) => rng.text(n, '0123456789abcdef');
  const auth = (): [string, string][] => {
    if (rng.next() < 0.5) return [['Authorization', `Bearer ${ADMIN}`]];
    return rng.pick([[], [['Authorization', `Bearer ${rng.text(20)}`]], [['Authorization', `Basic ${Buffer.from(`admin:${ADMIN}`).toString('base64')}`]], [['Authorization', ADMIN]], [['Authorization', `Bearer ${ADMIN} `]], [['Authorization', `Bearer ${ADMIN.toUpperCase()}`]]] as [string, string][][]);
  };
  const withToken = rng.next() < 0.6;
  const headers: [string, string][] = [['Host', '127.0.0.1'], ...(withToken ? ([['Authorization', `Bearer ${ADMIN}`]] as [string, string][]) : auth().filter(([, v]) => v !== `Bearer ${ADMIN}`))];
  const credentialsBad = !headers.some(([, v]) => v === `Bearer ${ADMIN}`);
  const variants: [string, () => [string, string]][] = [
    ['stats ?tenant=', () => ['GET', `/admin/stats?tenant=${encodeURIComponent(junkId())}`]],
    ['stats repeated tenant', () => ['GET', `/admin/stats?tenant=${hex(16)}&tenant=${hex(16)}`]],
    ['stats raw query junk', () => ['GET', `/admin/stats?tenant=${rng.text(rng.int(1, 30), '%&=+;[]abc')}&tenant`]],
    ['delete entry', () => ['DELETE', `/admin/entries/${junkId()}/${rng.next() < 0.5 ? hex(64) : junkId()}`]],
    ['delete entry, bad key', () => ['DELETE', `/admin/entries/${hex(16)}/${junkId()}`]],
    ['delete tenant', () => ['DELETE', `/admin/tenants/${junkId()}`]],
    ['unknown admin path', () => [rng.pick(['GET', 'POST', 'DELETE']), `/admin/${rng.text(rng.int(1, 12))}`]],
  ];
  const [label, make] = rng.pick(variants);
  let [method, path] = make();
  // Valid ids only with bad credentials: a good token with good ids would really delete.
  if (!credentialsBad && /\/admin\/(entries|tenants)\/[0-9a-f]{16}(\/[0-9a-f]{64})?$/.test(path)) path += 'x';
  if (!credentialsBad && path === '/admin/stats') path += '?tenant=';
  return { kind: 'bad admin', label: `${label}${credentialsBad ? ' (bad credentials)' : ''}: ${method} ${path.slice(0, 80)}`, data: request(method, path, [...headers, ['Content-Length', 0]]) };
}

const GENERATORS = [malformedHttp, badMethod, badPath, badBody, badHeaders, badEncoding, badAdmin];

function generate(seed: number): Case[] {
  const rng = prng(seed);
  const cases: Case[] = [];
  for (const gen of GENERATORS) for (let i = 0; i < PER_KIND; i++) cases.push(gen(rng));
  return cases;
}

async function runAll(port: number, cases: Case[]): Promise<RawResponse[]> {
  const results: RawResponse[] = new Array(cases.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < cases.length; i = next++) results[i] = await rawRequest(port, cases[i]!.data, 10_000);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return results;
}

test(`${GENERATORS.length * PER_KIND} generated bad requests: all 4xx with OpenAI-shaped bodies, the gateway stays healthy`, async () => {
  const cases = generate(SEED);
  const port = Number(new URL(h.gateway.url).port);
  h.upstream.reset();
  const logFile = path.join(h.stack.home, 'gateway.log');
  const logOffset = statSync(logFile).size;
  const started = Date.now();
  const results = await runAll(port, cases);
  const elapsed = Date.now() - started;

  const problems = results
    .map((res, i) => ({ res, c: cases[i]! }))
    .filter(({ res }) => !(res.status >= 400 && res.status < 500 && isOpenAIError(res.body)))
    .map(({ res, c }) => `${c.kind} / ${c.label} → ${res.status <= 0 ? (res.status === 0 ? 'closed without a response' : 'no response in time') : res.status} ${res.body.slice(0, 160)}`);
  const byStatus: Record<number, number> = {};
  for (const r of results) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
  console.log(`fuzz seed ${SEED}: ${cases.length} requests in ${elapsed} ms; statuses ${JSON.stringify(byStatus)}`);

  expect(problems).toEqual([]);
  expect(results.filter((r) => r.status >= 500)).toHaveLength(0);
  // Nothing bad reached the provider.
  expect(h.upstream.calls).toBe(0);
  // Still alive and answering.
  expect(h.gateway.running).toBe(true);
  const health = await fetch(`${h.gateway.url}/healthz`);
  expect(health.status).toBe(200);
  // Every kind of case was generated.
  expect(new Set(cases.map((c) => c.kind)).size).toBe(GENERATORS.length);
  // Bad requests are the client's problem: nothing logged at error level or above.
  await new Promise((r) => setTimeout(r, 300));
  const logged = readFileSync(logFile).subarray(logOffset).toString('utf8').split('\n').filter(Boolean);
  expect(logged.length).toBeGreaterThan(0);
  expect(logged.filter((line) => /"level":(50|60)\b/.test(line)).slice(0, 5)).toEqual([]);
}, 60_000);
