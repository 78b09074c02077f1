import { bodyParser } from '@koa/bodyparser';
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import Koa from 'koa';
import { mkdtempSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { codecAuth, isLoopback } from '../../src/api/middleware/codecAccess';
import { openAIErrors } from '../../src/api/middleware/errors';
import { codecRoutes } from '../../src/api/routes/codec';
import { loadConfig } from '../../src/config';
import { GatewayError } from '../../src/errors';
import { EncryptionCodec } from '../../src/temporal/payloadCodec';

const KEY_A = Buffer.alloc(32, 7);
const KEY_B = Buffer.alloc(32, 9);
const meta = (p: Payload, k: string) => Buffer.from(p.metadata?.[k] ?? []).toString();
const plain = (value: unknown) => defaultPayloadConverter.toPayload(value);
const SECRET = { prompt: 'How do I reset my router password?', answer: 'Hold the reset button for ten seconds.' };

describe('payload encryption codec', () => {
  const codec = new EncryptionCodec({ id: 'a', key: KEY_A });

  test('round trip: the wire payload hides the content and names the key', async () => {
    const original = plain(SECRET);
    const [wire] = await codec.encode([original]);
    expect(meta(wire!, 'encoding')).toBe('binary/encrypted');
    expect(meta(wire!, 'encryption-key-id')).toBe('a');
    expect(Buffer.from(wire!.data!).toString('latin1')).not.toContain('router');
    const [back] = await codec.decode([wire!]);
    expect(defaultPayloadConverter.fromPayload(back!)).toEqual(SECRET);
    expect(meta(back!, 'encoding')).toBe('json/plain');
  });

  test('each encoding uses a fresh IV', async () => {
    const [x, y] = await codec.encode([plain('same'), plain('same')]);
    expect(Buffer.from(x!.data!).equals(Buffer.from(y!.data!))).toBe(false);
  });

  test('key rotation: payloads sealed under a retired key id still decode; new ones use the current key', async () => {
    const [old] = await codec.encode([plain(SECRET)]);
    const rotated = new EncryptionCodec({ id: 'b', key: KEY_B }, [{ id: 'a', key: KEY_A }]);
    expect(defaultPayloadConverter.fromPayload((await rotated.decode([old!]))[0]!)).toEqual(SECRET);
    const [fresh] = await rotated.encode([plain(SECRET)]);
    expect(meta(fresh!, 'encryption-key-id')).toBe('b');
    await expect(codec.decode([fresh!])).rejects.toThrow(/unknown key id "b".*REFLEX_PAYLOAD_OLD_KEYS/);
  });

  test('a tampered ciphertext, or a different key under the same id, fails authentication', async () => {
    const [wire] = await codec.encode([plain(SECRET)]);
    const data = Buffer.from(wire!.data!);
    data[data.length - 1]! ^= 1;
    await expect(codec.decode([{ ...wire!, data }])).rejects.toThrow(/key id "a" failed authentication/);
    await expect(new EncryptionCodec({ id: 'a', key: KEY_B }).decode([wire!])).rejects.toThrow(/failed authentication/);
  });

  test('plain payloads (histories from before encryption) pass through decode untouched', async () => {
    const before = [plain(SECRET), defaultPayloadConverter.toPayload(undefined)];
    expect(await codec.decode(before)).toEqual(before);
  });

  test('the default key is a 0600 file under REFLEX_HOME, shared by every process there; its id follows the key', () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'reflex-codec-'));
    const a = EncryptionCodec.fromConfig(loadConfig({ REFLEX_HOME: home }));
    const b = EncryptionCodec.fromConfig(loadConfig({ REFLEX_HOME: home }));
    expect(a.keyId).toBe(b.keyId);
    expect(statSync(path.join(home, 'payload.key')).mode & 0o777).toBe(0o600);
    const other = EncryptionCodec.fromConfig(loadConfig({ REFLEX_HOME: home, REFLEX_PAYLOAD_KEY: KEY_B.toString('base64') }));
    expect(other.keyId).not.toBe(a.keyId);
  });

  test('configuration: key, id and retired keys are validated at start', () => {
    const c = loadConfig({ REFLEX_PAYLOAD_KEY: KEY_B.toString('base64'), REFLEX_PAYLOAD_KEY_ID: '2025-06', REFLEX_PAYLOAD_OLD_KEYS: `2024-01:${KEY_A.toString('base64')}` });
    expect(c.payload).toEqual({ key: KEY_B.toString('base64'), keyId: '2025-06', oldKeys: [{ id: '2024-01', key: KEY_A }] });
    expect(() => loadConfig({ REFLEX_PAYLOAD_KEY: 'c2hvcnQ=' })).toThrow(/REFLEX_PAYLOAD_KEY/);
    expect(() => loadConfig({ REFLEX_PAYLOAD_OLD_KEYS: 'nokey' })).toThrow(/REFLEX_PAYLOAD_OLD_KEYS/);
    expect(() => loadConfig({ REFLEX_PAYLOAD_KEY_ID: 'has space' })).toThrow(/REFLEX_PAYLOAD_KEY_ID/);
    expect(loadConfig({ REFLEX_TEMPORAL_UI_PORT: '9233' }).codecCorsOrigins).toEqual(['http://127.0.0.1:9233', 'http://localhost:9233']);
  });
});

describe('codec endpoint access rule', () => {
  const ctx = (remoteAddress: string, headers: Record<string, string> = {}) =>
    ({ get: (h: string) => headers[h.toLowerCase()] ?? '', req: { socket: { remoteAddress } } }) as never;
  const UI = 'http://127.0.0.1:8233';
  const status = async (mw: ReturnType<typeof codecAuth>, c: never) => {
    try {
      await mw(c, async () => undefined);
      return 200;
    } catch (err) {
      return (err as GatewayError).status;
    }
  };

  test('loopback addresses', () => {
    for (const a of ['127.0.0.1', '::1', '::ffff:127.0.0.1', '127.1.2.3', 'localhost']) expect(isLoopback(a)).toBe(true);
    for (const a of ['10.0.0.5', '0.0.0.0', '::', '::ffff:10.0.0.5', undefined]) expect(isLoopback(a)).toBe(false);
  });

  test('embedded default: a loopback caller (CLI, or the allowed UI origin) needs no token; anyone else does', async () => {
    const mw = codecAuth({ adminToken: 'adm', corsOrigins: [UI], loopbackWithoutToken: true });
    expect(await status(mw, ctx('127.0.0.1'))).toBe(200);
    expect(await status(mw, ctx('::1', { origin: UI }))).toBe(200);
    expect(await status(mw, ctx('127.0.0.1', { origin: 'http://evil.example' }))).toBe(401);
    expect(await status(mw, ctx('10.0.0.5'))).toBe(401);
    expect(await status(mw, ctx('10.0.0.5', { authorization: 'Bearer adm' }))).toBe(200);
    expect(await status(mw, ctx('127.0.0.1', { authorization: 'Bearer wrong' }))).toBe(401);
  });

  test('everywhere else: the admin token, even on loopback; no admin token configured = disabled (404)', async () => {
    const mw = codecAuth({ adminToken: 'adm', corsOrigins: [UI], loopbackWithoutToken: false });
    expect(await status(mw, ctx('127.0.0.1'))).toBe(401);
    expect(await status(mw, ctx('127.0.0.1', { authorization: 'Bearer adm' }))).toBe(200);
    expect(await status(codecAuth({ adminToken: undefined, corsOrigins: [UI], loopbackWithoutToken: false }), ctx('127.0.0.1'))).toBe(404);
  });
});

describe('codec endpoint protocol', () => {
  const codec = new EncryptionCodec({ id: 'a', key: KEY_A });
  let url = '';
  let server: ReturnType<Koa['listen']>;
  beforeAll(async () => {
    const app = new Koa();
    app.use(openAIErrors);
    app.use(bodyParser({ enableTypes: ['json'] }));
    app.use(codecRoutes({ codec, namespace: 'default', adminToken: 'adm', corsOrigins: ['http://ui.test'], loopbackWithoutToken: false }).routes());
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/codec`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const post = (op: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${url}/${op}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: 'Bearer adm', ...headers } });
  const toJson = (p: Payload) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])),
    data: Buffer.from(p.data!).toString('base64'),
  });

  test('encode then decode over HTTP returns the original payload (base64 JSON, as the UI and CLI send it)', async () => {
    const original = toJson(plain(SECRET));
    const encoded = await post('encode', { payloads: [original] }, { 'x-namespace': 'default' });
    expect(encoded.status).toBe(200);
    const { payloads } = (await encoded.json()) as { payloads: ReturnType<typeof toJson>[] };
    expect(Buffer.from(payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('binary/encrypted');
    const decoded = await post('decode', { payloads });
    expect(await decoded.json()).toEqual({ payloads: [original] });
  });

  test('bad bodies, foreign namespaces and undecodable payloads are OpenAI-shaped 400s', async () => {
    expect((await post('decode', { payloads: 'x' })).status).toBe(400);
    expect((await post('decode', { payloads: [{ data: 'not base64!' }] })).status).toBe(400);
    expect(await (await post('decode', {})).json()).toEqual({ payloads: [] }); // proto3 JSON of an empty list
    const foreign = await post('decode', { payloads: [] }, { 'x-namespace': 'other' });
    expect(foreign.status).toBe(400);
    expect(((await foreign.json()) as { error: { code: string } }).error.code).toBe('unknown_namespace');
    const [wire] = await new EncryptionCodec({ id: 'zz', key: KEY_B }).encode([plain(1)]);
    const unknown = await post('decode', { payloads: [toJson(wire!)] });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toMatch(/unknown key id "zz"/);
  });

  test('CORS: the UI origin gets a preflight answer and credentialed responses; other origins do not', async () => {
    const preflight = await fetch(`${url}/decode`, {
      method: 'OPTIONS',
      headers: { origin: 'http://ui.test', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-namespace' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://ui.test');
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('authorization, content-type, x-namespace');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    const denied = await post('decode', { payloads: [] }, { origin: 'http://ui.test', authorization: '' });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('access-control-allow-origin')).toBe('http://ui.test'); // so the UI can show why
    const stranger = await fetch(`${url}/decode`, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' } });
    expect(stranger.status).toBe(403);
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
  });
});
