/**
 * Free judgements and the strict start of the error budget (issue 28): a
 * candidate the tenant's floor alone refused is reported with its miss
 * (CacheLookup), carried in the fill's claim check and outbox record, judged
 * against the miss's fresh answer into a `free` verdict (judgeRefused), and
 * counted for the floor but never for the estimate of served hits
 * (ErrorBudget). A strict tenant gets no semantic hits until its judgements
 * show a floor within δ.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { judgeRefused, type JudgedMiss, type Judges } from '../../src/activities/audit';
import { fillRequestOf } from '../../src/activities/fillRequest';
import type { Embedder } from '../../src/cache/embedding/embedder';
import { CLOSED } from '../../src/cache/l3/budget/learnedFloor';
import { ErrorBudget, KEPT_JUDGEMENTS } from '../../src/cache/l3/budget/errorBudget';
import { FileVerdictStore } from '../../src/cache/l3/budget/fileVerdictStore';
import type { Verdict, VerdictStore } from '../../src/cache/l3/budget/verdicts';
import type { Judge } from '../../src/cache/l3/judge/judge';
import type { ExactCache } from '../../src/cache/l1/exactCache';
import type { SemanticLookup, SemanticQuery } from '../../src/cache/l2/semanticLookup';
import { CacheLookup } from '../../src/cache/lookup';
import type { Entry } from '../../src/cache/storage/entry';
import type { EntryStore } from '../../src/cache/storage/entryStore';
import { outboxRecordOf, missSpecOf, type MissSpec } from '../../src/miss/missSpec';
import { judgedText } from '../../src/wire/answerText';
import { fake } from '../support/fake';

const T = 'aaaaaaaaaaaaaaaa';
const answer = (text: string) => ({ id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }] });
const stored: Entry = { version: 1, tenant: T, key: 'e'.repeat(64), context: 'c', model: 'm', createdAt: 1, semanticText: 'How do I change my router password?', embedding: [1, 0], embedder: 'emb', response: answer('Log in at 192.168.0.1 and change it under Security.') };

describe('CacheLookup under a tenant floor', () => {
  function lookupWith(similarity: number, floor: number | undefined) {
    const asked: SemanticQuery[] = [];
    const remembered: Entry[] = [];
    const exact = fake<ExactCache>({ getInMemory: () => undefined, get: async () => undefined, remember: (e: Entry) => void remembered.push(e) }, 'exact');
    const semantic = fake<SemanticLookup>({ find: async (q: SemanticQuery) => (asked.push(q), { entry: stored, similarity }) }, 'semantic');
    const embedder = fake<Embedder>({ id: 'emb', embed: async () => Float32Array.of(1, 0) }, 'embedder');
    const lookup = new CacheLookup(exact, semantic, embedder, pino({ level: 'silent' }), { floorFor: () => floor });
    const identity = { key: 'q'.repeat(64), context: 'c', semanticText: 'How do I reset my router password?' };
    return { run: (threshold?: number) => lookup.lookup({ id: T } as never, identity as never, { threshold }), asked, remembered };
  }

  test('a candidate the floor alone refuses is a miss that names it (and is not remembered in L1)', async () => {
    const l = lookupWith(0.93, 0.95);
    expect(await l.run()).toMatchObject({ status: 'MISS', embedder: 'emb', refused: { entryKey: stored.key, similarity: 0.93 } });
    expect(l.remembered).toHaveLength(0);
  });

  test('a closed floor refuses every candidate; one at or above the floor is served', async () => {
    expect(await lookupWith(0.9999, CLOSED).run()).toMatchObject({ status: 'MISS', refused: { similarity: 0.9999 } });
    const served = lookupWith(0.95, 0.95);
    expect(await served.run()).toMatchObject({ status: 'HIT_L3_VERIFIED', similarity: 0.95 });
    expect(served.remembered).toEqual([stored]);
  });

  test("the request's own threshold goes to the verifier; without a floor nothing is refused", async () => {
    const l = lookupWith(0.93, undefined);
    expect(await l.run(0.91)).toMatchObject({ status: 'HIT_L3_VERIFIED' });
    expect(l.asked[0]!.threshold).toBe(0.91);
  });
});

describe('the refused candidate travels with its miss', () => {
  const spec: MissSpec = { tenant: T, key: 'q'.repeat(64), context: 'c', model: 'm', semanticText: 'q', request: { model: 'm' }, refused: { entryKey: stored.key, similarity: 0.93, judge: 'embedding' } };

  test('into the claim check and through an outbox record', () => {
    expect(fillRequestOf(spec).refused).toEqual(spec.refused);
    expect(missSpecOf(outboxRecordOf(spec, answer('a'))).refused).toEqual(spec.refused);
    expect(fillRequestOf({ ...spec, refused: undefined })).not.toHaveProperty('refused');
  });
});

describe('judgeRefused', () => {
  const miss: JudgedMiss = { tenant: T, key: 'q'.repeat(64), model: 'm', question: 'How do I reset my router password?', fresh: answer('Hold the reset button for 30 seconds.'), refused: { entryKey: stored.key, similarity: 0.93, judge: 'embedding' }, id: '["free","run"]' };

  function deps(options: { entry?: Entry; same: boolean; key?: string; audit?: boolean }) {
    const appended: Verdict[] = [];
    const judged: unknown[] = [];
    const judge: Judge = { kind: miss.refused.judge, judge: async (pair, call) => (judged.push({ pair, call }), { same: options.same, score: options.same ? 0.9 : 0.2 }) };
    const verdicts = fake<VerdictStore>({ append: async (v: Verdict) => void appended.push(v) }, 'verdicts');
    const audit = options.audit === false ? undefined : { verdicts, judges: fake<Judges>({ get: async () => judge }, 'judges') };
    const store = fake<EntryStore>({ read: async () => options.entry }, 'store');
    return { deps: { store, audit, apiKeyOf: () => options.key }, appended, judged };
  }

  test("appends a free verdict: the candidate's answer against the fresh one, at the refused cosine", async () => {
    const d = deps({ entry: stored, same: false });
    expect(await judgeRefused(d.deps, miss)).toBe('judged');
    expect(d.appended).toEqual([expect.objectContaining({ id: miss.id, source: 'free', tenant: T, key: miss.key, entryKey: stored.key, similarity: 0.93, wrong: true, judge: 'embedding', judgeScore: 0.2 })]);
    expect(d.judged[0]).toMatchObject({ pair: { question: miss.question, served: 'Log in at 192.168.0.1 and change it under Security.', fresh: 'Hold the reset button for 30 seconds.' } });
  });

  test("tool calls are what an agent's answer says: judged as name(arguments); an answer with nothing to compare is no sample", async () => {
    const call = (city: string) => ({ ...answer(''), choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: `{"city":"${city}"}` } }] }, finish_reason: 'tool_calls' }] });
    expect(judgedText(call('Paris'))).toBe('get_weather({"city":"Paris"})');
    expect(judgedText({ output: [{ type: 'function_call', name: 'get_weather', arguments: '{"city":"Oslo"}' }] })).toBe('get_weather({"city":"Oslo"})');
    expect(judgedText({ ...answer('Checking.'), choices: [{ ...call('Rome').choices[0]!, message: { ...call('Rome').choices[0]!.message, content: 'Checking.' } }] })).toBe('Checking.\nget_weather({"city":"Rome"})');
    const d = deps({ entry: { ...stored, response: call('Paris') }, same: true });
    await judgeRefused(d.deps, { ...miss, fresh: call('London') });
    expect(d.judged[0]).toMatchObject({ pair: { served: 'get_weather({"city":"Paris"})', fresh: 'get_weather({"city":"London"})' } });
    const empty = deps({ entry: { ...stored, response: {} }, same: true });
    expect(await judgeRefused(empty.deps, miss)).toBe('skipped');
    expect(empty.appended).toHaveLength(0);
  });

  test('skips a candidate gone since, a worker without audits, and the LLM judge without the configured key', async () => {
    for (const [d, m] of [
      [deps({ entry: undefined, same: true }), miss],
      [deps({ entry: stored, same: true, audit: false }), miss],
      [deps({ entry: stored, same: true }), { ...miss, refused: { ...miss.refused, judge: 'llm' as const } }],
    ] as const) {
      expect(await judgeRefused(d.deps, m)).toBe('skipped');
      expect(d.appended).toHaveLength(0);
    }
  });
});

describe('ErrorBudget, strict start', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'verdicts-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const verdict = (id: string, source: Verdict['source'], similarity: number, wrong: boolean): Verdict => ({
    id, source, tenant: T, key: 'k', entryKey: 'e', model: 'm', similarity, wrong, judge: 'embedding', judgeScore: 0, at: 1,
  });

  test('closed until the judgements show a floor within δ; free ones count for the floor, never the estimate', async () => {
    const store = new FileVerdictStore(dir);
    const budget = new ErrorBudget(store, { delta: 0.02, base: 0.85, refreshMs: 60_000 });
    expect(budget.floorFor(T)).toBe(CLOSED); // nothing judged yet
    const clean = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => verdict(`f${from + i}`, 'free', 0.9 + ((from + i) % 140) * 0.0005, false));
    for (const v of clean(0, 379)) await store.append(v);
    await budget.refresh();
    // 0 wrong of 379 is one short of what rejects "δ or more" at α split over the grid's 15 floors: still closed.
    expect(budget.floorFor(T)).toBe(CLOSED);
    expect(budget.estimates().find((e) => e.tenant === T)).toMatchObject({ judged: 379, toOpen: 1 });
    for (const v of clean(379, 420)) await store.append(v);
    await store.append(verdict('w', 'free', 0.88, true));
    await budget.refresh();
    // 0 of 420 from 0.89 up is enough; the wrong one at 0.88 keeps the floor above it (the grid's next step).
    expect(budget.floorFor(T)).toBeCloseTo(0.89, 6);
    expect(budget.estimates().find((e) => e.tenant === T)!.toOpen).toBeUndefined(); // open: nothing left to count
    expect(budget.estimates().find((e) => e.tenant === T)).toMatchObject({ audited: 0, wrong: 0 });
    await store.append(verdict('a', 'audit', 0.97, false));
    await budget.refresh();
    expect(budget.estimates().find((e) => e.tenant === T)).toMatchObject({ audited: 1, wrong: 0 });
  });

  test('a purged tenant is closed again; without δ nothing is closed', async () => {
    const store = new FileVerdictStore(dir);
    const budget = new ErrorBudget(store, { delta: 0.02, base: 0.85, refreshMs: 60_000 });
    for (let i = 0; i < 420; i++) await store.append(verdict(`f${i}`, 'free', 0.95, false));
    await budget.refresh();
    expect(budget.floorFor(T)).toBeCloseTo(0.85, 6); // every candidate at or above 0.85 was judged: the base's floor holds
    await store.removeTenant(T);
    await budget.refresh();
    expect(budget.floorFor(T)).toBe(CLOSED);
    expect(new ErrorBudget(store, { base: 0.85, refreshMs: 60_000 }).floorFor(T)).toBeUndefined();
  });

  test("memory stays bounded: a tenant's latest judgements are kept, a repeated id still counts once", async () => {
    const many = Array.from({ length: 70_000 }, (_, i) => verdict(`v${i}`, i % 2 ? 'free' : 'audit', 0.95, false));
    const pages = [many.slice(0, 40_000), [...many.slice(40_000), many[69_999]!]];
    const store = fake<VerdictStore>({ tenants: async () => [T], read: async (_t: string, cursor?: string) => ({ verdicts: pages[Number(cursor ?? 0)] ?? [], cursor: String(Number(cursor ?? 0) + 1) }) }, 'verdicts');
    const budget = new ErrorBudget(store, { delta: 0.02, base: 0.85, refreshMs: 60_000 });
    await budget.readAll();
    const row = budget.estimates().find((e) => e.tenant === T)!;
    expect(row.judged).toBeGreaterThanOrEqual(KEPT_JUDGEMENTS);
    expect(row.judged).toBeLessThanOrEqual(KEPT_JUDGEMENTS * 1.1);
    expect(row.audited).toBe(35_000); // under the bound: every audit of the 70,000 verdicts, the repeat counted once
  });
});
