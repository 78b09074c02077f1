/**
 * Operating the gateway, against the real stack: fills readable in Temporal
 * visibility, failed indexing replayed from storage (never the provider),
 * reindex, admin delete and purge, /metrics, and expiry.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FileEntryStore } from '../../src/cache/storage/entryStore';
import { runCli } from '../support/cli';
import { ask, ChatResponse, GatewayProcess } from '../support/gateway';
import { useGateway } from '../support/harness';
import { MilvusProbe } from '../support/milvus';
import { streamChat } from '../support/sse';
import { ENCRYPTED_METADATA, workflowShow } from '../support/temporalCli';

const ADMIN = 'admin-secret-for-tests';

const h = useGateway({ REFLEX_INDEX_MAX_ATTEMPTS: '2', REFLEX_ADMIN_TOKEN: ADMIN, REFLEX_LOG_LEVEL: 'info' });

let milvus: MilvusProbe;

beforeAll(() => {
  milvus = new MilvusProbe(h.stack.milvusAddress);
});

afterAll(async () => {
  await milvus?.close();
});

const status = (res: ChatResponse) => res.headers.get('x-reflex-status');
const fillId = (res: ChatResponse) => res.headers.get('x-reflex-fill-id')!;
const keyOf = (res: ChatResponse) => fillId(res).split('-')[2]!;
const admin = (method: string, route: string) => h.gateway.request(method, route, undefined, ADMIN);

async function eventually<T>(probe: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function metric(name: string, labels = ''): Promise<number> {
  const text = (await h.gateway.request('GET', '/metrics')).body as string;
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('visibility', () => {
  test('a fill carries search attributes, a memo with each step, and the request id', async () => {
    const res = await h.gateway.chat(ask('What is the capital of Australia?'), 'tenant-v', { 'x-request-id': 'req-visibility-1' });
    expect(status(res)).toBe('MISS');
    await h.gateway.awaitFill(res);
    const client = await h.gateway.temporalClient();
    const described = await client.workflow.getHandle(fillId(res)).describe();
    const tenant = h.gateway.tenantOf('tenant-v');
    expect(described.searchAttributes).toMatchObject({
      ReflexTenant: [tenant],
      ReflexKind: ['fill'],
      ReflexModel: ['test-model'],
      ReflexKey: [keyOf(res)],
      ReflexOutcome: ['cached'],
    });
    expect(described.memo).toMatchObject({ requestId: 'req-visibility-1', outcome: 'cached', steps: { provider: 'done', store: 'done', index: 'done' } });
    // The filter an operator pastes into the UI.
    const query = `ReflexTenant = '${tenant}' AND ReflexKind = 'fill' AND ReflexOutcome = 'cached'`;
    const found = await eventually(async () => (await client.workflow.count(query)).count, (n) => n === 1);
    expect(found).toBe(1);
  });
});

describe('replay of failed indexing', () => {
  const questions = ['How do I descale an espresso machine?', 'How do I store fresh basil?', 'How do I rotate my car tyres?'];
  const paraphrases = ['How can I descale an espresso machine?', 'How can I store fresh basil?', 'How can I rotate my car tyres?'];
  let misses: ChatResponse[] = [];

  test('with Milvus down, answers still arrive and the fills end Failed saying why', async () => {
    await h.stack.stopMilvus();
    misses = [];
    for (const q of questions) misses.push(await h.gateway.chat(ask(q), 'tenant-r'));
    expect(misses.map(status)).toEqual(['MISS', 'MISS', 'MISS']);
    const client = await h.gateway.temporalClient();
    for (const res of misses) {
      await expect(h.gateway.awaitFill(res)).rejects.toThrow();
      const described = await client.workflow.getHandle(fillId(res)).describe();
      expect(described.status.name).toBe('FAILED');
      expect(described.memo).toMatchObject({ outcome: 'index_failed', steps: { store: 'done', index: 'failed' } });
    }
    const history = await client.workflow.getHandle(fillId(misses[0]!)).fetchHistory();
    const failed = history.events?.find((e) => e.workflowExecutionFailedEventAttributes)?.workflowExecutionFailedEventAttributes;
    expect(failed?.failure?.message).toMatch(/index step gave up.*reflex replay/);
  });

  test('replay --dry-run lists them; replay indexes them from storage; the provider is not called', async () => {
    await h.stack.startMilvus();
    const calls = h.upstream.calls;
    const dry = await eventually(() => runCli(h.stack, ['replay', '--since', '1h', '--dry-run']), (r) => r.summary?.found >= 3);
    expect(dry.summary).toMatchObject({ found: 3, would_replay: 3, indexed: 0 });

    const run = await runCli(h.stack, ['replay', '--since', '1h']);
    expect(run.code).toBe(0);
    expect(run.summary).toMatchObject({ found: 3, indexed: 3, errors: 0 });
    for (const [i, p] of paraphrases.entries()) {
      const res = await h.gateway.chat(ask(p), 'tenant-r');
      expect(status(res)).toBe('HIT_L3_VERIFIED');
      expect(res.body.choices[0].message.content).toBe(`Answer to: ${questions[i]}`);
    }
    expect(h.upstream.calls).toBe(calls);

    const again = await runCli(h.stack, ['replay', '--since', '1h']);
    expect(again.summary).toMatchObject({ found: 3, indexed: 0, already_replayed: 3 });
    expect(h.upstream.calls).toBe(calls);
    const replays = await (await h.gateway.temporalClient()).workflow.count("ReflexKind = 'replay' AND ReflexOutcome = 'indexed'");
    expect(replays.count).toBe(3);
  });
});

describe('metrics', () => {
  test('/metrics counts requests by tier, fills, upstream calls and saved tokens (streamed hits too)', async () => {
    const before = { l1: await metric('reflex_requests_total', 'status="200",tier="HIT_L1_EXACT"'), tokens: await metric('reflex_tokens_saved_total', 'type="prompt"') };
    const q = ask('How many moons does Mars have?');
    const miss = await h.gateway.chat(q, 'tenant-m');
    await h.gateway.awaitFill(miss);
    await h.gateway.chat(q, 'tenant-m');
    expect(await metric('reflex_requests_total', 'status="200",tier="HIT_L1_EXACT"')).toBe(before.l1 + 1);
    expect(await metric('reflex_tokens_saved_total', 'type="prompt"')).toBe(before.tokens + 7);
    // A streamed hit saves the same tokens, though it has no JSON body to read them from.
    const streamed = await streamChat(h.gateway.url, q, 'tenant-m');
    expect(streamed.headers.get('x-reflex-status')).toBe('HIT_L1_EXACT');
    expect(await metric('reflex_tokens_saved_total', 'type="prompt"')).toBe(before.tokens + 14);
    expect(await metric('reflex_requests_total', 'status="200",tier="MISS"')).toBeGreaterThanOrEqual(5);
    expect(await metric('reflex_fills_failed_total', 'outcome="index_failed"')).toBe(3);
    expect(await metric('reflex_fills_completed_total', 'outcome="cached"')).toBeGreaterThanOrEqual(2);
    expect(await metric('reflex_fills_started_total')).toBeGreaterThanOrEqual(5);
    expect(await metric('reflex_upstream_calls_total', 'result="ok"')).toBe(h.upstream.calls);
    expect(await metric('reflex_maintenance_total', 'kind="replay",outcome="indexed"')).toBe(3);
    const text = (await h.gateway.request('GET', '/metrics')).body as string;
    expect(text).toMatch(/reflex_request_duration_seconds_bucket\{le="0.005",tier="HIT_L1_EXACT"\}/);
  });
});

describe('admin API', () => {
  test('needs the admin token', async () => {
    expect((await h.gateway.request('GET', '/admin/stats')).status).toBe(401);
    expect((await h.gateway.request('GET', '/admin/stats', undefined, 'tenant-a')).status).toBe(401);
    const stats = await admin('GET', '/admin/stats');
    expect(stats.status).toBe(200);
    expect(stats.body).toMatchObject({ entries: expect.any(Number), bytes: expect.any(Number) });
    expect(stats.body.entries).toBeGreaterThanOrEqual(5);
    expect(stats.body.hitRate.total).toBeGreaterThan(0);
  });

  test('delete one entry: gone from L1, storage and Milvus; the next ask is a MISS', async () => {
    const q = ask('What temperature should I bake sourdough at?');
    const miss = await h.gateway.chat(q, 'tenant-d');
    await h.gateway.awaitFill(miss);
    expect(status(await h.gateway.chat(q, 'tenant-d'))).toBe('HIT_L1_EXACT');
    expect(await milvus.keysOf(h.gateway.tenantOf('tenant-d'))).toHaveLength(1);
    const tenant = h.gateway.tenantOf('tenant-d');
    const res = await admin('DELETE', `/admin/entries/${tenant}/${keyOf(miss)}`);
    expect(res.body).toEqual({ deleted: 1, tenant, key: keyOf(miss) });
    expect(await milvus.keysOf(h.gateway.tenantOf('tenant-d'))).toHaveLength(0);
    const calls = h.upstream.calls;
    const again = await h.gateway.chat(q, 'tenant-d');
    expect(status(again)).toBe('MISS');
    expect(h.upstream.calls).toBe(calls + 1);
    await h.gateway.awaitFill(again);
  });

  test('purge a tenant: every entry of it, and only of it', async () => {
    for (const q of ['Why is the sky blue?', 'Why do leaves change colour in autumn?']) await h.gateway.awaitFill(await h.gateway.chat(ask(q), 'tenant-p'));
    expect(await milvus.keysOf(h.gateway.tenantOf('tenant-p'))).toHaveLength(2);
    const others = await milvus.keysOf(h.gateway.tenantOf('tenant-r'));
    const tenant = h.gateway.tenantOf('tenant-p');
    const res = await admin('DELETE', `/admin/tenants/${tenant}`);
    expect(res.body).toEqual({ deleted: 2, tenant });
    expect(await milvus.keysOf(h.gateway.tenantOf('tenant-p'))).toHaveLength(0);
    expect(existsSync(path.join(h.stack.home, 'data', 'entries', tenant))).toBe(false);
    expect(await milvus.keysOf(h.gateway.tenantOf('tenant-r'))).toEqual(others);
    const again = await h.gateway.chat(ask('Why is the sky blue?'), 'tenant-p');
    expect(status(again)).toBe('MISS');
    await h.gateway.awaitFill(again); // stored before the reindex below counts entries
    const purges = await (await h.gateway.temporalClient()).workflow.count(`ReflexKind = 'purge' AND ReflexTenant = '${tenant}'`);
    expect(purges.count).toBe(1);
  });
});

describe('reindex', () => {
  test('rebuilds a lost collection from storage, and resumes from a checkpoint', async () => {
    const stats = (await admin('GET', '/admin/stats')).body;
    await milvus.drop();
    const run = await runCli(h.stack, ['reindex']);
    expect(run.code).toBe(0);
    expect(run.summary).toMatchObject({ total: stats.entries, indexed: stats.entries, reembedded: 0 });
    expect(await milvus.keysOf(h.gateway.tenantOf('tenant-r'))).toHaveLength(3);
    const calls = h.upstream.calls;
    expect(status(await h.gateway.chat(ask('How can I descale an espresso machine?'), 'tenant-r'))).toBe('HIT_L3_VERIFIED');
    expect(h.upstream.calls).toBe(calls);
    expect(existsSync(path.join(h.stack.home, 'data', 'reindex-reflex_entries.json'))).toBe(false);

    // A run that stopped after the first entry: the rerun continues after it instead of starting over.
    const first = (await new FileEntryStore(path.join(h.stack.home, 'data', 'entries')).list().next()).value!;
    const firstKey = `${first.tenant}/${first.key}`;
    const checkpoint = { lastKey: firstKey, summary: { total: 0, indexed: 1, reembedded: 0, expired: 0, unreadable: 0 } };
    writeFileSync(path.join(h.stack.home, 'data', 'reindex-reflex_entries.json'), JSON.stringify(checkpoint));
    await milvus.drop();
    const resumed = await runCli(h.stack, ['reindex']);
    expect(resumed.summary).toMatchObject({ resumedAfter: firstKey, indexed: stats.entries });
    const restarted = await runCli(h.stack, ['reindex', '--restart']);
    expect(restarted.summary).toMatchObject({ indexed: stats.entries });
    expect(restarted.summary.resumedAfter).toBeUndefined();
  });
});

describe('encrypted payloads', () => {
  const show = (id: string, ...flags: string[]) => workflowShow(h.stack.temporalAddress, id, ...flags);

  test('temporal workflow show of a fill contains neither prompt nor answer; through the codec endpoint with the admin token it decodes to references (claim check)', async () => {
    const prompt = 'Which river flows through the old town of Basel?';
    const res = await h.gateway.chat(ask(prompt), 'tenant-codec');
    expect(status(res)).toBe('MISS');
    const answer: string = res.body.choices[0].message.content;
    await h.gateway.awaitFill(res);

    const stored = await show(fillId(res));
    expect(stored.raw).toContain(ENCRYPTED_METADATA);
    expect(stored.text).not.toContain('old town of Basel');
    expect(stored.text).not.toContain(answer);

    const decoded = await show(fillId(res), '--codec-endpoint', `${h.gateway.url}/codec`, '--codec-auth', `Bearer ${ADMIN}`);
    expect(decoded.raw).not.toContain(ENCRYPTED_METADATA);
    // The prompt and the answer are blobs in the entry store; history holds their references.
    expect(decoded.text).toContain('requestRef');
    expect(decoded.text).toContain('answerRef');
    expect(decoded.text).not.toContain('old town of Basel');
    expect(decoded.text).not.toContain(answer);
  });

  test('outside the embedded default the codec wants the admin token, even from loopback', async () => {
    // What the CLI sends without --codec-auth (it then reports only "context deadline exceeded").
    const tokenless = await h.gateway.request('POST', '/codec/decode', '{}', undefined, { 'x-namespace': 'default' });
    expect(tokenless.status).toBe(401);
    expect(tokenless.body.error.code).toBe('invalid_admin_token');
    expect((await h.gateway.request('POST', '/codec/decode', '{}', ADMIN, { 'x-namespace': 'default' })).status).toBe(200);
  });

  test('the Temporal UI origin gets its CORS preflight answered', async () => {
    const res = await fetch(`${h.gateway.url}/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:8233', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-namespace' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-allow-headers')).toMatch(/authorization.*content-type.*x-namespace/);
  });
});

describe('expiry', () => {
  let short: GatewayProcess;
  const store = () => path.join(h.stack.home, 'ttl-entries');

  beforeAll(async () => {
    await h.gateway.stop();
    short = new GatewayProcess(h.stack, {
      REFLEX_UPSTREAM_URL: h.upstream.url,
      REFLEX_TTL: '3',
      REFLEX_SWEEP_INTERVAL: '1',
      REFLEX_STORAGE_PATH: store(),
      REFLEX_MILVUS_COLLECTION: 'ttl_entries',
    });
    await short.start();
  }, 120_000);

  afterAll(() => short?.stop());

  test('an expired entry is not served, and the sweeper removes it from storage and Milvus', async () => {
    const probe = new MilvusProbe(h.stack.milvusAddress, 'ttl_entries');
    try {
      const q = ask('What is the tallest mountain in Africa?');
      const miss = await short.chat(q, 'tenant-t');
      await short.awaitFill(miss);
      expect(status(await short.chat(q, 'tenant-t'))).toBe('HIT_L1_EXACT');
      expect(await probe.keysOf(short.tenantOf('tenant-t'))).toHaveLength(1);
      const file = path.join(store(), short.tenantOf('tenant-t'), keyOf(miss).slice(0, 2), `${keyOf(miss)}.json`);
      expect(existsSync(file)).toBe(true);

      await new Promise((r) => setTimeout(r, 3_500));
      const gone = await eventually(async () => existsSync(file), (exists) => !exists, 10_000);
      expect(gone).toBe(false);
      expect(await eventually(() => probe.keysOf(short.tenantOf('tenant-t')), (k) => k.length === 0, 10_000)).toHaveLength(0);
      const calls = h.upstream.calls;
      const again = await short.chat(q, 'tenant-t');
      expect(status(again)).toBe('MISS');
      expect(h.upstream.calls).toBe(calls + 1);
      await short.awaitFill(again);
    } finally {
      await probe.close();
    }
  });
});
