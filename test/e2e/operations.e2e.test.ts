/**
 * Operating the gateway, against the real stack: fills readable in Temporal
 * visibility, failed indexing replayed from storage (never the provider),
 * reindex, admin delete and purge, /metrics, and expiry.
 */
import type { Client } from '@temporalio/client';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cosine } from '../../src/cache/embedding/cosine';
import { FileEntryStore } from '../../src/cache/storage/fileEntryStore';
import { runCli } from '../support/cli';
import { eventually } from '../support/eventually';
import { ask, ChatResponse, GatewayProcess } from '../support/gateway';
import { useGateway } from '../support/harness';
import { MilvusProbe } from '../support/milvus';
import { streamChat } from '../support/sse';
import { ENCRYPTED_METADATA, workflowDescribe, workflowShow } from '../support/temporalCli';

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

/** Temporal's visibility store lags a closed workflow by a moment. */
const counted = (client: Client, query: string) =>
  eventually(async () => (await client.workflow.count(query)).count, { until: (n) => n === 1, ms: 20_000, everyMs: 300, what: `one workflow for ${query}` });

async function metric(name: string, labels = ''): Promise<number> {
  const text = (await h.gateway.request('GET', '/metrics')).body as string;
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('visibility', () => {
  test('a fill carries search attributes, a memo with the request id, and each step in its result', async () => {
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
    // Started with its presumed outcome, a cached fill records nothing more: the memo is the start's, the steps are in its result.
    expect(described.memo).toMatchObject({ requestId: 'req-visibility-1', kind: 'fill' });
    expect(described.memo).not.toHaveProperty('steps');
    await expect(client.workflow.getHandle(fillId(res)).result()).resolves.toEqual({ outcome: 'cached', steps: { provider: 'done', embed: 'skipped', store: 'done', index: 'done' } });
    // What the UI's list and the fill's page show, read back through the client with the payload codec.
    expect(await described.staticSummary()).toBe(`chat · test-model · tenant ${tenant.slice(0, 8)} · “What is the capital of Australia?”`);
    const details = await described.staticDetails();
    expect(details).toContain('**Question** “What is the capital of Australia?”');
    expect(details).toMatch(/\*\*Request\*\* \(\d+ B\)/);
    expect(described.searchAttributes).toMatchObject({ ReflexOrigin: ['chat'] });
    // The filter an operator pastes into the UI.
    const query = `ReflexTenant = '${tenant}' AND ReflexKind = 'fill' AND ReflexOutcome = 'cached'`;
    await counted(client, query);
  });
});

describe('documented queries', () => {
  test('refreshes are found by origin and by id prefix, and say so in their summary', async () => {
    const question = 'What is the boiling point of water on Everest?';
    await h.gateway.awaitFill(await h.gateway.chat(ask(question), 'tenant-q'));
    const res = await h.gateway.chat(ask(question), 'tenant-q', { 'x-reflex-cache': 'refresh' });
    expect(status(res)).toBe('REFRESH');
    await h.gateway.awaitFill(res);
    const tenant = h.gateway.tenantOf('tenant-q');
    const client = await h.gateway.temporalClient();
    expect(await (await client.workflow.getHandle(fillId(res)).describe()).staticSummary()).toMatch(/^refresh · test-model · /);
    for (const query of [`ReflexOrigin = 'refresh' AND ReflexTenant = '${tenant}'`, `WorkflowId STARTS_WITH 'refresh-${tenant}'`]) {
      await counted(client, query);
    }
    const fills = `ReflexModel = 'test-model' AND ReflexOrigin = 'chat' AND ReflexTenant = '${tenant}'`;
    await counted(client, fills);
  });
});

describe('reflex eval --plot', () => {
  test('asks every pair at each swept X-Reflex-Threshold without filling anything, and draws the curve with the operating point', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'reflex-eval-'));
    const pairs = path.join(dir, 'pairs.jsonl');
    const lines = [
      { a: 'How do I reset the password of my home router?', b: 'How can I reset the password of my home router?', label: 1 },
      { a: 'What is the population of Portugal today?', b: 'What is the population of Portugal right now?', label: 1 },
      { a: 'What is the capital city of Canada?', b: 'What is the capital city of Australia?', label: 0 },
    ];
    writeFileSync(pairs, lines.map((l) => JSON.stringify(l)).join('\n'));
    const svg = path.join(dir, 'curve.svg');
    const calls = h.upstream.received.length;
    // 0.5 is outside the gateway's X-Reflex-Threshold bounds: refused, so left out of the curve.
    const run = await runCli(h.stack, ['eval', '--pairs', pairs, '--url', h.gateway.url, '--temporal', h.stack.temporalAddress, '--sweep', '0.5,0.8,0.9,0.995', '--plot', svg, '--json']);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.sweep.map((s: { threshold: number }) => s.threshold)).toEqual([0.8, 0.9, 0.995]);
    expect(run.stderr).toContain('threshold 0.5 refused');
    const recall = result.sweep.map((s: { scores: { recall: number } }) => s.scores.recall);
    expect(recall[0]).toBeGreaterThan(0);
    expect(recall[0]).toBeGreaterThanOrEqual(recall[2]);
    // Only the stores and the plain asks reached the provider or were counted; the sweep's only-if-cached asks filled nothing.
    expect(Object.values(result.statuses as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(6);
    expect(h.upstream.received.length - calls).toBe(3 + lines.length - result.scores.hits);
    const picture = readFileSync(svg, 'utf8');
    expect(picture.startsWith('<svg')).toBe(true);
    expect(picture).toContain(`gateway (${result.verifier} verifier), X-Reflex-Threshold`);
    expect(picture).toContain(`operating point: P ${result.scores.precision.toFixed(3)} R ${result.scores.recall.toFixed(3)}`);
    expect((picture.match(/<polyline class="recall" points="([^"]*)"/)![1] ?? '').split(' ')).toHaveLength(3);
    // The dashboard's copy, under the REFLEX_HOME the eval shares with the gateway.
    expect(readFileSync(path.join(h.stack.home, 'data', 'eval', 'last-curve.svg'), 'utf8')).toBe(picture);
    expect((await admin('GET', '/admin/eval/curve.svg')).body).toBe(picture);
  });
});

describe('replay of failed indexing', () => {
  const questions = ['How do I descale an espresso machine?', 'How do I store fresh basil?', 'How do I rotate my car tyres?'];
  const paraphrases = ['How can I descale an espresso machine?', 'How can I store fresh basil?', 'How can I rotate my car tyres?'];
  let misses: ChatResponse[] = [];

  test('with Milvus down, answers still arrive and the fills end Failed saying why', async () => {
    // Earlier tests' fills answer first and index after (early return): on a loaded machine one can still be
    // indexing; it must not meet the Milvus outage below and count as a fourth failure.
    const running = async () => {
      let n = 0;
      for await (const _ of (await h.gateway.temporalClient()).workflow.list({ query: 'ExecutionStatus="Running"' })) n++;
      return n;
    };
    await eventually(running, { until: (n) => n === 0, ms: 30_000, everyMs: 300, what: 'no fill still running' });
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
    const dry = await eventually(() => runCli(h.stack, ['replay', '--since', '1h', '--dry-run']), { until: (r) => r.summary?.found >= 3, ms: 20_000, everyMs: 300, what: 'replay --dry-run finding the three failed fills' });
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

  test('an entry another embedding model made is embedded again by the current one', async () => {
    const store = new FileEntryStore(path.join(h.stack.home, 'data', 'entries'));
    const first = (await store.list().next()).value!;
    const entry = (await store.read(first.tenant, first.key))!;
    const current = entry.embedder!;
    expect(current).toMatch(/^all-MiniLM-L6-v2@[0-9a-f]{12}$/);
    await store.write({ ...entry, embedder: 'older-model@000000000000', embedding: entry.embedding.map((x) => -x) });
    const run = await runCli(h.stack, ['reindex']);
    expect(run.summary).toMatchObject({ reembedded: 1 });
    const again = (await store.read(first.tenant, first.key))!;
    expect(again.embedder).toBe(current);
    // The same model again (up to float rounding across thread counts), not the negated vector written above.
    expect(cosine(again.embedding, entry.embedding)).toBeGreaterThan(0.9999);
  });
});

describe('encrypted payloads', () => {
  const show = (id: string, ...flags: string[]) => workflowShow(h.stack.temporalAddress, id, ...flags);

  test('temporal workflow show of a fill contains neither prompt nor answer; through the codec endpoint with the admin token it decodes, claim-check references resolved to the request and the answer', async () => {
    const prompt = 'Which river flows through the old town of Basel?';
    const res = await h.gateway.chat(ask(prompt), 'tenant-codec');
    expect(status(res)).toBe('MISS');
    const answer: string = res.body.choices[0].message.content;
    await h.gateway.awaitFill(res);

    // History, summary and details included: ciphertext only.
    const stored = await show(fillId(res));
    expect(stored.raw).toContain(ENCRYPTED_METADATA);
    expect(stored.text).not.toContain('old town of Basel');
    expect(stored.text).not.toContain(answer);
    const described = await workflowDescribe(h.stack.temporalAddress, fillId(res));
    expect(described).not.toContain('old town of Basel');
    expect(described).not.toContain('Basel');

    const codec = ['--codec-endpoint', `${h.gateway.url}/codec`, '--codec-auth', `Bearer ${ADMIN}`];
    const decoded = await show(fillId(res), ...codec);
    expect(decoded.raw).not.toContain(ENCRYPTED_METADATA);
    // History holds references (claim check); the codec endpoint resolves them for whoever holds the admin token.
    expect(decoded.text).toContain('requestRef');
    expect(decoded.text).toContain('answerRef');
    expect(decoded.text).toContain('"claimCheck"');
    expect(decoded.text).toContain('old town of Basel');
    expect(decoded.text).toContain(JSON.stringify(answer).slice(1, -1));
    expect(await workflowDescribe(h.stack.temporalAddress, fillId(res), ...codec)).toContain('old town of Basel');
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
      await eventually(() => !existsSync(file), { ms: 10_000, what: 'the sweeper removing the expired entry file' });
      await eventually(() => probe.keysOf(short.tenantOf('tenant-t')), { until: (k) => k.length === 0, ms: 10_000, what: 'the sweeper removing its Milvus row' });
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
