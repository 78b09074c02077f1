/**
 * Audits and the error budget through the real stack (issue 28): Temporal
 * dev server, Milvus Lite, the gateway as its own process, and an HTTP
 * upstream whose answer is decided by the question's equivalence class
 * (classes from labelled duplicate pairs, as bench/equivalence builds them),
 * so whether a semantic hit was wrong is known exactly. The floor starts
 * over-serving (0.80); every semantic hit is audited (REFLEX_AUDIT_RATE=1);
 * δ = 0.02.
 *
 * Tenant W is served a hard negative (another class's answer) and gets a
 * wrong verdict, a repaired entry and a floor above that hit's cosine; tenant
 * R is served a true paraphrase, gets a right verdict and keeps the
 * configured floor; a candidate W's floor then refuses is judged for free.
 * /metrics, the verdict files, `reflex audit report` and the audit
 * workflows in Temporal must all say so. Both start open
 * (REFLEX_BUDGET_START=open: serving at the configured floor until audits
 * object); the strict start is budgetStrict.e2e.test.ts.
 *
 * Audits are durable: one whose provider call is in flight when its worker,
 * Temporal or both are killed completes once, with one verdict, and pays the
 * provider once unless the answer died with the worker.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Equivalence } from '../../bench/equivalence';
import { ask, ChatResponse } from '../support/gateway';
import { useGateway } from '../support/harness';
import { eventually } from '../support/eventually';
import { runCli } from '../support/cli';

const A = 'How do I reset my router password?';
const A_PARAPHRASE = 'How can I reset the password of my router?';
/** Same class as A, less similar to it than B is: the floor W gets must refuse it, R's must not. */
const A_FAR = 'What are the steps to reset a forgotten wifi router password?';
/** A hard negative: close to A in words, another question. */
const B = 'How do I change my router password?';

const LABELLED = [
  { a: A, b: A_PARAPHRASE, label: 1 as const },
  { a: A, b: A_FAR, label: 1 as const },
  { a: A, b: B, label: 0 as const },
];
const classes = new Equivalence(LABELLED);
const ANSWERS = new Map([
  [classes.find(A), 'Hold the reset button on the back for 30 seconds; the router restarts with the password printed on its label.'],
  [classes.find(B), 'Log in to the admin page at 192.168.0.1, open Security, type the new password twice and save.'],
]);

const DELTA = 0.02;
const ADMIN = 'admin-audits-e2e-token';
// A short provider timeout: an audit activity lost with its worker is retried after 3 + 5 s.
const PROVIDER_TIMEOUT_MS = 3_000;
const BUDGET = { REFLEX_MAX_WRONG_HITS: String(DELTA), REFLEX_SIMILARITY_THRESHOLD: '0.80', REFLEX_BUDGET_START: 'open' };
const h = useGateway({ REFLEX_AUDIT_RATE: '1', ...BUDGET, REFLEX_ADMIN_TOKEN: ADMIN, REFLEX_UPSTREAM_TIMEOUT_MS: String(PROVIDER_TIMEOUT_MS) });

const status = (res: ChatResponse) => res.headers.get('x-reflex-status');
const content = (res: ChatResponse) => res.body.choices[0].message.content as string;
const similarity = (res: ChatResponse) => Number(res.headers.get('x-reflex-similarity'));

/** A gauge's value for a tenant on /metrics, undefined when absent. */
const gauge = (name: string, tenant: string) => h.gateway.metric(name, `tenant="${tenant}"`);

beforeAll(() => {
  h.upstream.answerOf = (question) => ANSWERS.get(classes.find(question));
});

test('a wrong semantic hit is audited, judged wrong, repaired, and raises that tenant\'s floor only', async () => {
  const W = h.gateway.tenantOf('tenant-w');
  const R = h.gateway.tenantOf('tenant-r');
  for (const token of ['tenant-w', 'tenant-r']) {
    const miss = await h.gateway.chat(ask(A), token);
    expect(status(miss)).toBe('MISS');
    await h.gateway.awaitFill(miss);
  }
  expect(h.upstream.calls).toBe(2);

  // Over-serving floor: W gets A's answer for B (wrong), R gets it for a paraphrase (right).
  const wrong = await h.gateway.chat(ask(B), 'tenant-w');
  expect(status(wrong)).toBe('HIT_L3_VERIFIED');
  expect(content(wrong)).toBe(ANSWERS.get(classes.find(A)));
  const right = await h.gateway.chat(ask(A_PARAPHRASE), 'tenant-r');
  expect(status(right)).toBe('HIT_L3_VERIFIED');
  expect(similarity(right)).toBeGreaterThan(similarity(wrong));

  // Each audit: one provider call with the hit's own request, then a verdict on /metrics.
  await eventually(async () => (await gauge('reflex_audited_hits', W)) === 1 && (await gauge('reflex_audited_hits', R)) === 1, { ms: 30_000, everyMs: 250, what: 'both audits recorded' });
  expect(h.upstream.calls).toBe(4);
  expect(h.upstream.received.slice(2).map((r) => r.headers.authorization).sort()).toEqual(['Bearer tenant-r', 'Bearer tenant-w']);
  expect(await gauge('reflex_wrong_hit_rate', W)).toBe(1);
  expect(await gauge('reflex_wrong_hit_rate', R)).toBe(0);
  expect(await gauge('reflex_wrong_hit_rate_upper', W)).toBeCloseTo(1, 6);
  expect(await gauge('reflex_wrong_hit_rate_upper', R)).toBeGreaterThan(DELTA); // one audit proves little
  expect(await gauge('reflex_audited_wrong_hits', 'all')).toBe(1);
  expect(await gauge('reflex_wrong_hit_rate', 'all')).toBe(0.5);
  // W's floor rose just above the wrong hit's cosine; R has none of its own.
  const floor = (await gauge('reflex_semantic_floor', W))!;
  expect(floor).toBeGreaterThan(similarity(wrong) - 1e-4);
  expect(await gauge('reflex_semantic_floor', R)).toBeUndefined();

  // The verdicts, as stored: tenant, asked and served keys, cosine, judge.
  const verdicts = (tenant: string) => readFileSync(path.join(h.stack.home, 'data', 'verdicts', `${tenant}.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const [w] = verdicts(W);
  expect(w).toMatchObject({ source: 'audit', tenant: W, wrong: true, repaired: true, model: 'test-model' });
  expect(w.similarity).toBeCloseTo(similarity(wrong), 4);
  expect(w.key).not.toBe(w.entryKey);
  expect(verdicts(R)[0]).toMatchObject({ tenant: R, wrong: false });

  // Repaired: W's B now has its own entry, with B's answer.
  const again = await h.gateway.chat(ask(B), 'tenant-w');
  expect(status(again)).toBe('HIT_L1_EXACT');
  expect(content(again)).toBe(ANSWERS.get(classes.find(B)));

  // The floor applies to W only: a far paraphrase of A, below W's floor, is a miss there and a hit for R.
  const farR = await h.gateway.chat(ask(A_FAR), 'tenant-r');
  expect(status(farR)).toBe('HIT_L3_VERIFIED');
  expect(similarity(farR)).toBeLessThan(floor);
  const farW = await h.gateway.chat(ask(A_FAR), 'tenant-w');
  expect(status(farW)).toBe('MISS');
  expect(content(farW)).toBe(ANSWERS.get(classes.find(A)));
  await h.gateway.awaitFill(farW);
  // The candidate W's floor refused was judged for free against the answer that miss paid for: right,
  // at its cosine. It informs the floor, never the estimate of served hits.
  const free = verdicts(W).filter((v) => v.source === 'free');
  expect(free).toEqual([expect.objectContaining({ tenant: W, wrong: false, judge: 'embedding' })]);
  expect(free[0].similarity).toBeLessThan(floor);
  expect(free[0].similarity).toBeCloseTo(similarity(farR), 4);
  expect(await gauge('reflex_audited_hits', W)).toBe(1);
});

test('audit workflows read as questions in Temporal; `reflex audit report` and the dashboard agree with /metrics', async () => {
  // Three semantic hits were served (W's B, R's two paraphrases of A): three audits.
  await eventually(async () => (await gauge('reflex_audited_hits', 'all')) === 3, { ms: 30_000, everyMs: 250, what: 'the third audit recorded' });
  const client = await h.gateway.temporalClient();
  const ids: string[] = [];
  await eventually(async () => {
    ids.length = 0;
    for await (const wf of client.workflow.list({ query: 'WorkflowType = "auditHitWorkflow"' })) ids.push(wf.workflowId);
    return ids.length === 3;
  }, { ms: 10_000, everyMs: 250, what: 'three audit workflows listed' });
  const summaries: string[] = [];
  for (const id of ids) {
    expect(id).toMatch(/^audit-[0-9a-f]{16}-[0-9a-f]{16}-[0-9a-f]{8}$/);
    const handle = client.workflow.getHandle(id);
    expect(['right', 'wrong_repaired']).toContain(((await handle.result()) as { outcome: string }).outcome);
    summaries.push((await (await handle.describe()).staticSummary()) ?? '');
  }
  expect(summaries).toHaveLength(3);
  expect(summaries.some((s) => s.includes(`“${B}”`))).toBe(true);
  expect(summaries.every((s) => /^audit · test-model · tenant [0-9a-f]{8} · “/.test(s))).toBe(true);

  const W = h.gateway.tenantOf('tenant-w');
  const report = await runCli(h.stack, ['audit', 'report', '--json'], BUDGET);
  expect(report.code).toBe(0);
  const { estimates } = JSON.parse(report.stdout) as { estimates: { tenant: string; audited: number; wrong: number; floor?: number }[] };
  const w = estimates.find((e) => e.tenant === W)!;
  expect(w.wrong).toBe(1);
  expect(w.floor).toBeCloseTo((await gauge('reflex_semantic_floor', W))!, 6);
  expect(estimates.find((e) => e.tenant === 'all')).toMatchObject({ audited: 3, wrong: 1 });

  const overview = await h.gateway.request('GET', '/admin/overview', undefined, ADMIN);
  expect(overview.status).toBe(200);
  const { wrongHits } = overview.body as { wrongHits: { rate: number; delta: number; judge: string; estimates: { tenant: string; wrong: number; upper: number; floor?: number }[] } };
  expect(wrongHits).toMatchObject({ rate: 1, delta: DELTA, judge: 'embedding' });
  expect(wrongHits.estimates.find((e) => e.tenant === W)).toMatchObject({ wrong: 1, floor: w.floor });
  expect(wrongHits.estimates.find((e) => e.tenant === 'all')!.upper).toBeCloseTo((await gauge('reflex_wrong_hit_rate_upper', 'all'))!, 9);
});

test('an audit whose worker died mid-call completes once after the restart, with one verdict', async () => {
  const D = h.gateway.tenantOf('tenant-d');
  const miss = await h.gateway.chat(ask(A), 'tenant-d');
  await h.gateway.awaitFill(miss);
  const before = h.upstream.calls;
  const release = h.upstream.hold();
  try {
    const hit = await h.gateway.chat(ask(A_PARAPHRASE), 'tenant-d');
    expect(status(hit)).toBe('HIT_L3_VERIFIED'); // answered at once: the audit's call is what waits
    await eventually(async () => h.upstream.calls === before + 1, { ms: 10_000, everyMs: 100, what: "the audit's provider call" });
    await h.gateway.stop('SIGKILL');
  } finally {
    release();
  }
  await h.gateway.start();
  await eventually(async () => (await gauge('reflex_audited_hits', D)) === 1, { ms: 40_000, everyMs: 500, what: "tenant D's audit recorded after the restart" });
  // The call in flight when the worker died was lost with it; the retry asked once more, and only once.
  expect(h.upstream.calls).toBe(before + 2);
  const lines = readFileSync(path.join(h.stack.home, 'data', 'verdicts', `${D}.jsonl`), 'utf8').trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(JSON.parse(lines[0]!)).toMatchObject({ tenant: D, wrong: false });
});

/** The audit's provider activity times out 5 s after the provider call would (workflows/audit.ts). */
const AUDIT_CALL_TIMEOUT_MS = PROVIDER_TIMEOUT_MS + 5_000;

/**
 * The token's tenant gets A's entry, then a paraphrase of A is served from it
 * while the provider holds its answers: resolves once the audit's provider
 * call is in flight, with the calls made before it and the hold's release.
 */
async function auditInFlight(token: string): Promise<{ before: number; release: () => void }> {
  await h.gateway.awaitFill(await h.gateway.chat(ask(A), token));
  const before = h.upstream.calls;
  const release = h.upstream.hold();
  try {
    const hit = await h.gateway.chat(ask(A_PARAPHRASE), token);
    expect(status(hit)).toBe('HIT_L3_VERIFIED');
    await eventually(async () => h.upstream.calls === before + 1, { ms: 10_000, everyMs: 100, what: "the audit's provider call" });
  } catch (err) {
    release();
    throw err;
  }
  return { before, release };
}

/**
 * The tenant's hit was audited exactly once: one audit workflow, closed as
 * completed with a right verdict, one verdict line, counted once on
 * /metrics. Resolves with the workflow's id.
 */
async function expectAuditedOnce(tenant: string): Promise<string> {
  await eventually(async () => (await gauge('reflex_audited_hits', tenant)) === 1, { ms: 60_000, everyMs: 500, what: `tenant ${tenant}'s audit recorded` });
  const client = await h.gateway.temporalClient();
  const ids: string[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowType = "auditHitWorkflow" AND WorkflowId STARTS_WITH "audit-${tenant}-"` })) ids.push(wf.workflowId);
  expect(ids).toHaveLength(1);
  const handle = client.workflow.getHandle(ids[0]!);
  await expect(handle.result()).resolves.toMatchObject({ outcome: 'right' });
  expect((await handle.describe()).status.name).toBe('COMPLETED');
  const lines = readFileSync(path.join(h.stack.home, 'data', 'verdicts', `${tenant}.jsonl`), 'utf8').trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(JSON.parse(lines[0]!)).toMatchObject({ tenant, wrong: false });
  return ids[0]!;
}

/** How the audit's provider step ended, from its history: the attempt that completed, why the one before it failed, and where its answer came from. */
async function providerStep(workflowId: string): Promise<{ attempt: number; lastFailure?: string; source: 'provider' | 'reused' }> {
  const events = (await (await h.gateway.temporalClient()).workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  // The provider call is the workflow's first activity: the first started event is its last attempt.
  const started = events.find((e) => e.activityTaskStartedEventAttributes)!.activityTaskStartedEventAttributes!;
  // Its result, decoded with the gateway's key: only the provider activity's says where the answer came from.
  const source = /"source":"(provider|reused)"/.exec(await h.gateway.historyText(workflowId))?.[1] as 'provider' | 'reused' | undefined;
  expect(source).toBeDefined();
  return { attempt: started.attempt ?? 0, lastFailure: started.lastFailure?.message ?? undefined, source: source! };
}

/** The gateway took Temporal back: a new miss on the tenant is answered and its fill completes. */
async function expectFillsAgain(token: string): Promise<void> {
  const later = await h.gateway.chat(ask(`Asked once Temporal was back (${token}): what does a router do?`), token);
  expect(later.status).toBe(200);
  expect(status(later)).toBe('MISS');
  await expect(h.gateway.awaitFill(later)).resolves.toMatchObject({ outcome: 'cached' });
}

test('an audit whose provider call was in flight when Temporal was killed completes once after Temporal restarts, with one provider call', async () => {
  const T = h.gateway.tenantOf('tenant-t');
  const { before, release } = await auditInFlight('tenant-t');
  const heldAt = Date.now();
  try {
    await h.stack.killTemporal(); // SIGKILL; the activity's start was committed to its database, which the restart reopens
    await h.stack.startTemporal();
  } finally {
    release();
  }
  // Still within the provider's timeout: the call answered is the one in flight across the restart.
  expect(Date.now() - heldAt).toBeLessThan(PROVIDER_TIMEOUT_MS);
  const id = await expectAuditedOnce(T);
  expect(h.upstream.calls).toBe(before + 1);
  // The worker lived on: the first attempt's answer was accepted by the restarted server.
  expect(await providerStep(id)).toEqual({ attempt: 1, lastFailure: undefined, source: 'provider' });
  await expectFillsAgain('tenant-t');
});

test('an audit whose provider answered while Temporal was down past the call\'s timeout completes once, reusing that answer', async () => {
  const U = h.gateway.tenantOf('tenant-u');
  const { before, release } = await auditInFlight('tenant-u');
  await h.stack.killTemporal();
  release(); // answered while Temporal is down: the worker keeps it as its run's answer, and cannot report it
  // Down past the activity's timeout (a duration, not a condition to poll): the restarted server times the attempt out and retries it.
  await sleep(AUDIT_CALL_TIMEOUT_MS + 1_000);
  await h.stack.startTemporal();
  const id = await expectAuditedOnce(U);
  expect(h.upstream.calls).toBe(before + 1);
  expect(await providerStep(id)).toEqual({ attempt: 2, lastFailure: 'activity StartToClose timeout', source: 'reused' });
  await expectFillsAgain('tenant-u');
});

test('an audit whose worker and Temporal were both killed mid-call completes once after both restart', async () => {
  const V = h.gateway.tenantOf('tenant-v');
  const { before, release } = await auditInFlight('tenant-v');
  try {
    await h.gateway.stop('SIGKILL');
    await h.stack.killTemporal();
  } finally {
    release();
  }
  await h.stack.startTemporal();
  await h.gateway.start();
  const id = await expectAuditedOnce(V);
  // The call in flight died with the worker before its answer was kept, so the retry must ask again: two calls, not more.
  expect(h.upstream.calls).toBe(before + 2);
  expect(await providerStep(id)).toEqual({ attempt: 2, lastFailure: 'activity StartToClose timeout', source: 'provider' });
  await expectFillsAgain('tenant-v');
});
