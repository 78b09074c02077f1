/**
 * Audits and the error budget (issue 28), without Temporal: the floor the
 * budget sets from audited verdicts, the live estimate read on from a real
 * file verdict store (each verdict id counted once, tenants apart), the
 * floor reaching L3 for its tenant only, and the audit starter's sampling,
 * daily cap and background start.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ErrorBudget } from '../../src/cache/l3/budget/errorBudget';
import { FileVerdictStore } from '../../src/cache/l3/budget/fileVerdictStore';
import { budgetFloor, type Judged } from '../../src/cache/l3/budget/learnedFloor';
import type { Verdict } from '../../src/cache/l3/budget/verdicts';
import { AuditClient, type ServedHit } from '../../src/temporal/auditClient';
import { Metrics } from '../../src/metrics';
import type { AuditAllowance } from '../../src/temporal/auditAllowance';

const T1 = 'aaaaaaaaaaaaaaaa';
const T2 = 'bbbbbbbbbbbbbbbb';
const judged = (pairs: Array<[number, boolean]>): Judged[] => pairs.map(([similarity, wrong]) => ({ similarity, wrong }));

describe('budgetFloor', () => {
  test('no floor of its own without a wrong hit, or while the bound is within δ', () => {
    expect(budgetFloor(judged([[0.9, false], [0.95, false]]), 0.02, 0.85)).toBeUndefined();
    // 1 wrong of 400: bound 0.012 < 0.02.
    expect(budgetFloor(judged([[0.9, true], ...Array.from({ length: 399 }, (): [number, boolean] => [0.95, false])]), 0.02, 0.85)).toBeUndefined();
  });

  test('past δ, just above the most similar wrong hit', () => {
    const floor = budgetFloor(judged([[0.91, true], [0.88, true], [0.97, false]]), 0.02, 0.85)!;
    expect(floor).toBeGreaterThan(0.91);
    expect(floor).toBeLessThan(0.9101);
  });

  test('lower where the audited hits show a lower floor keeps the rate within δ', () => {
    // Wrong hits crowd the low end (60 at 0.86: the overall bound is past δ); above them, 2000 right hits and one wrong one at 0.995.
    const right = Array.from({ length: 2000 }, (_, i): [number, boolean] => [0.9 + i * 0.00004, false]);
    const wrongLow = Array.from({ length: 60 }, (): [number, boolean] => [0.86, true]);
    const floor = budgetFloor(judged([...right, ...wrongLow, [0.995, true]]), 0.02, 0.85)!;
    // Not just above 0.995: 1 wrong of 2001 from the grid's 0.87 up bounds under δ, even with α split over the grid.
    expect(floor).toBeCloseTo(0.87, 6);
  });
});

describe('ErrorBudget over a file verdict store', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'verdicts-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const verdict = (tenant: string, id: string, similarity: number, wrong: boolean): Verdict => ({
    id, source: 'audit', tenant, key: 'k', entryKey: 'e', model: 'm', similarity, wrong, judge: 'model', judgeScore: wrong ? 0.1 : 0.9, at: 1,
  });

  test('estimates per tenant and overall, each id once, floors for the tenant over δ only', async () => {
    const store = new FileVerdictStore(dir);
    const budget = new ErrorBudget(store, { delta: 0.02, base: 0.85, start: 'open', refreshMs: 60_000 });
    await store.append(verdict(T1, 'a1', 0.93, true));
    await store.append(verdict(T1, 'a1', 0.93, true)); // a retried append
    await store.append(verdict(T1, 'a2', 0.97, false));
    await store.append(verdict(T2, 'b1', 0.9, false));
    await budget.refresh();
    const rows = Object.fromEntries(budget.estimates().map((e) => [e.tenant, e]));
    expect(rows[T1]).toMatchObject({ audited: 2, wrong: 1, rate: 0.5 });
    expect(rows[T2]).toMatchObject({ audited: 1, wrong: 0, rate: 0 });
    expect(rows.all).toMatchObject({ audited: 3, wrong: 1 });
    expect(rows[T1]!.upper).toBeGreaterThan(0.5);
    expect(budget.floorFor(T1)).toBeGreaterThan(0.93);
    expect(budget.floorFor(T2)).toBeUndefined();
    // Read on from the cursor: only what is new is added.
    await store.append(verdict(T2, 'b2', 0.95, false));
    await budget.refresh();
    expect(budget.estimates().find((e) => e.tenant === T2)).toMatchObject({ audited: 2 });
  });

  test('without δ it only measures', async () => {
    const store = new FileVerdictStore(dir);
    await store.append(verdict(T1, 'a1', 0.93, true));
    const budget = new ErrorBudget(store, { base: 0.85, refreshMs: 60_000 });
    await budget.refresh();
    expect(budget.floorFor(T1)).toBeUndefined();
    expect(budget.estimates()[0]).toMatchObject({ tenant: T1, wrong: 1 });
  });

  test('/metrics exports the estimate and the floor', async () => {
    const store = new FileVerdictStore(dir);
    await store.append(verdict(T1, 'a1', 0.93, true));
    const budget = new ErrorBudget(store, { delta: 0.02, base: 0.85, start: 'open', refreshMs: 60_000 });
    const metrics = new Metrics();
    metrics.wrongHitsFrom(async () => (await budget.refresh(), budget.estimates()));
    const text = await metrics.registry.metrics();
    expect(text).toContain(`reflex_wrong_hit_rate{tenant="${T1}"} 1`);
    expect(text).toContain('reflex_audited_hits{tenant="all"} 1');
    expect(text).toMatch(new RegExp(`reflex_semantic_floor\\{tenant="${T1}"\\} 0\\.93`));
  });

  test('the fleet gauges show one read in the scrape that made it (both wait for it, neither lags a scrape)', async () => {
    const metrics = new Metrics();
    let reads = 0;
    metrics.fleetFrom(async () => {
      reads++;
      await new Promise((r) => setTimeout(r, 5));
      return { replicas: 3, requests: { HIT_L1_EXACT: 7 } };
    });
    const text = await metrics.registry.metrics();
    expect(text).toContain('reflex_fleet_replicas 3');
    expect(text).toContain('reflex_fleet_requests{tier="HIT_L1_EXACT"} 7');
    expect(reads).toBe(1);
  });
});

describe('AuditClient', () => {
  const hit = (tenant: string): ServedHit => ({
    tenant, key: 'k'.repeat(64), context: 'c', semanticText: 'How do I reset my router password?', model: 'm', request: { model: 'm', messages: [] },
    entryKey: 'e'.repeat(64), similarity: 0.93,
  });

  function client(rate: number, dailyCap: number, random: () => number, allowance?: AuditAllowance) {
    const starts: { workflowId: string; args: unknown[]; staticSummary: string }[] = [];
    const temporal = { workflow: { start: jest.fn(async (_type: string, options: any) => void starts.push(options)) } };
    const blobs = { put: jest.fn(async () => 'ref') };
    const events: string[] = [];
    const settings = { taskQueue: 'q', rate, dailyCap, judge: 'model' as const, repair: true, policy: { providerMaxAttempts: 2, providerTimeoutMs: 1000 } };
    const audits = new AuditClient(temporal as any, blobs as any, settings, { log: { warn: () => undefined }, count: (e) => events.push(e), random, allowance });
    return { audits, starts, events, blobs };
  }

  test('samples at the rate, starts after the caller returned, with a readable id and summary', async () => {
    const { audits, starts, events } = client(0.5, 10, (() => { const r = [0.1, 0.9, 0.4]; return () => r.shift()!; })());
    const describe = jest.fn(() => hit(T1));
    expect(audits.afterHit(T1, describe)).toBe(true);
    expect(audits.afterHit(T1, describe)).toBe(false);
    expect(audits.afterHit(T1, describe)).toBe(true);
    // Not sampled: not even described (no token sealed).
    expect(describe).toHaveBeenCalledTimes(2);
    expect(starts).toHaveLength(0); // nothing happened on the hit's own turn
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual(['started', 'started']);
    expect(starts[0]!.workflowId).toMatch(new RegExp(`^audit-${T1}-k{16}-[0-9a-f]{8}$`));
    expect(starts[0]!.staticSummary).toContain('“How do I reset my router password?”');
    expect(starts[0]!.args[0]).toMatchObject({ tenant: T1, entryKey: 'e'.repeat(64), similarity: 0.93, judge: 'model', repair: true, requestRef: 'ref' });
  });

  test('a tenant past its daily cap is not audited; other tenants are', () => {
    const { audits, events } = client(1, 2, () => 0);
    expect([audits.afterHit(T1, () => hit(T1)), audits.afterHit(T1, () => hit(T1)), audits.afterHit(T1, () => hit(T1))]).toEqual([true, true, false]);
    expect(audits.afterHit(T2, () => hit(T2))).toBe(true);
    expect(events).toEqual(['capped']);
  });

  test('a shared cap that must ask first decides in the background: refused, nothing starts', async () => {
    const answers = [Promise.resolve(false), Promise.resolve(true)];
    const { audits, starts, events } = client(1, 10, () => 0, { take: () => answers.shift()! });
    expect(audits.afterHit(T1, () => hit(T1))).toBe(true);
    expect(audits.afterHit(T1, () => hit(T1))).toBe(true);
    await new Promise((r) => setTimeout(r, 10));
    expect(events).toEqual(['capped', 'started']);
    expect(starts).toHaveLength(1);
  });

  test('rate 0 never audits', () => {
    const { audits } = client(0, 10, () => 0);
    expect(audits.afterHit(T1, () => hit(T1))).toBe(false);
  });
});

test('a purged tenant drops out of the estimate, and its verdicts written afterwards are read from the start', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'verdicts-'));
  try {
    const store = new FileVerdictStore(dir);
    const budget = new ErrorBudget(store, { delta: 0.02, base: 0.85, start: 'open', refreshMs: 60_000 });
    const v = (id: string, wrong: boolean): Verdict => ({ id, source: 'audit', tenant: T1, key: 'k', entryKey: 'e', model: 'm', similarity: 0.9, wrong, judge: 'embedding', judgeScore: 0, at: 1 });
    for (const id of ['a', 'b', 'c']) await store.append(v(id, true));
    await budget.refresh();
    expect(budget.floorFor(T1)).toBeDefined();
    await store.removeTenant(T1);
    await budget.refresh();
    expect(budget.estimates().map((e) => e.tenant)).toEqual(['all']);
    expect(budget.floorFor(T1)).toBeUndefined();
    // A cursor past the new file's end (it was removed and begun again between two reads) starts over.
    await store.append(v('d', false));
    expect((await store.read(T1, '100000')).verdicts.map((x) => x.id)).toEqual(['d']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
