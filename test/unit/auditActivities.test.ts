/**
 * The audit workflow's activities (issue 28) in their activity context, over
 * a real blob store and verdict store on disk: the provider is asked once per
 * audit run however often the step is retried or replayed, with the hit's
 * request as JSON and the caller's own token; the verdict carries the run's
 * id (a retried append is counted once); a deleted entry gives no verdict;
 * and the LLM judge says "same" only for a clear yes.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ActivityDeps, createActivities } from '../../src/activities';
import { Judges, type JudgeHitCall } from '../../src/activities/audit';
import { LlmJudge } from '../../src/activities/llmJudge';
import { ErrorBudget } from '../../src/cache/l3/budget/errorBudget';
import { FileVerdictStore } from '../../src/cache/l3/budget/fileVerdictStore';
import type { Embedder } from '../../src/cache/embedding/embedder';
import type { Entry } from '../../src/cache/storage/entry';
import type { EntryStore } from '../../src/cache/storage/entryStore';
import { FileBlobStore } from '../../src/cache/storage/fileBlobStore';
import type { Provider } from '../../src/provider/provider';
import { TokenSeal } from '../../src/provider/credentials';
import { fake } from '../support/fake';

const tenant = '0123456789abcdef';
const chat = (content: string) => ({ id: 'c', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] });
const SERVED = 'Hold the reset button for 30 seconds.';
const FRESH = 'Open the admin page and type the new password twice.';

async function setup(entry: Entry | undefined) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'reflex-audit-'));
  const blobs = new FileBlobStore(path.join(dir, 'entries'));
  const verdicts = new FileVerdictStore(path.join(dir, 'verdicts'));
  const complete = jest.fn(async (_request: Record<string, unknown>, _key: string | undefined) => chat(FRESH));
  const provider = fake<Provider>({ complete }, 'provider');
  // Vectors that make the two answers far apart (the embedding judge: cosine 0 < 0.687).
  const embedder = fake<Embedder>({ id: 'e', dim: 2, embed: async (t: string) => Float32Array.from(t === SERVED ? [1, 0] : [0, 1]) }, 'embedder');
  const seal = TokenSeal.fromConfig(Buffer.alloc(32, 7).toString('base64'), dir);
  const store = fake<EntryStore>({ read: async () => entry, write: async () => undefined }, 'store');
  const acts = createActivities(fake<ActivityDeps>({ provider, upstreamKey: undefined, seal, blobs, store, audit: { verdicts, judges: new Judges({ embedder, provider, verifierModels: dir }) } }, 'deps'));
  const requestRef = await blobs.put(tenant, { request: { model: 'm', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'q' }] }, context: 'c', model: 'm', semanticText: 'How do I change my router password?' });
  const run = (runId: string) => new MockActivityEnvironment({ workflowExecution: { workflowId: 'audit-x', runId } });
  return { blobs, verdicts, complete, acts, requestRef, run, sealed: seal.seal('sk-caller') };
}

const entryOf = (content: string): Entry => ({ version: 1, tenant, key: 'e'.repeat(64), context: 'c', model: 'm', createdAt: 1, semanticText: 'How do I reset my router password?', embedding: [], response: chat(content) });

test('askAgain: one provider call per audit run, the request as JSON, with the caller\'s token', async () => {
  const { complete, acts, requestRef, run, sealed } = await setup(entryOf(SERVED));
  const call = { tenant, requestRef, sealedToken: sealed };
  const first = await run('r1').run(acts.askAgain, call);
  expect(first).toMatchObject({ source: 'provider', cacheable: true });
  // A retried or replayed step of the same run reuses what it stored.
  await expect(run('r1').run(acts.askAgain, call)).resolves.toEqual({ ...(first as object), source: 'reused' });
  expect(complete).toHaveBeenCalledTimes(1);
  const [request, apiKey] = complete.mock.calls[0]!;
  expect(request).toEqual({ model: 'm', messages: [{ role: 'user', content: 'q' }] });
  expect(apiKey).toBe('sk-caller');
  // Another audit run asks again.
  await run('r2').run(acts.askAgain, call);
  expect(complete).toHaveBeenCalledTimes(2);
});

test('judgeHit: a different answer is a wrong verdict under the run\'s id, counted once however often appended', async () => {
  const { verdicts, acts, requestRef, run, sealed, blobs } = await setup(entryOf(SERVED));
  const freshRef = await blobs.put(tenant, chat(FRESH));
  const call: JudgeHitCall = { tenant, key: 'k'.repeat(64), entryKey: 'e'.repeat(64), model: 'm', requestRef, sealedToken: sealed, similarity: 0.905, judge: 'embedding', repair: true, freshRef };
  await expect(run('r1').run(acts.judgeHit, call)).resolves.toEqual({ outcome: 'judged', wrong: true, score: 0 });
  await run('r1').run(acts.judgeHit, call); // the activity retried after its append landed
  const { verdicts: stored } = await verdicts.read(tenant);
  expect(stored).toHaveLength(2);
  expect(stored[0]).toMatchObject({ id: JSON.stringify(['audit-x', 'r1']), source: 'audit', tenant, wrong: true, similarity: 0.905, judge: 'embedding', repaired: true, entryKey: 'e'.repeat(64) });
  const budget = new ErrorBudget(verdicts, { base: 0.8, refreshMs: 60_000 });
  await budget.refresh();
  expect(budget.estimates()[0]).toMatchObject({ tenant, audited: 1, wrong: 1 });
});

test('judgeHit: the same answer is right; a served entry deleted since gives no verdict', async () => {
  const right = await setup(entryOf(FRESH));
  const freshRef = await right.blobs.put(tenant, chat(FRESH));
  const call: JudgeHitCall = { tenant, key: 'k'.repeat(64), entryKey: 'e'.repeat(64), model: 'm', requestRef: right.requestRef, similarity: 0.98, judge: 'embedding', repair: true, freshRef };
  await expect(right.run('r1').run(right.acts.judgeHit, call)).resolves.toMatchObject({ outcome: 'judged', wrong: false });
  const gone = await setup(undefined);
  const goneCall = { ...call, requestRef: gone.requestRef, freshRef: await gone.blobs.put(tenant, chat(FRESH)) };
  await expect(gone.run('r1').run(gone.acts.judgeHit, goneCall)).resolves.toMatchObject({ outcome: 'entry_gone' });
  expect((await gone.verdicts.read(tenant)).verdicts).toEqual([]);
});

test('the LLM judge: the request\'s model and key, a strict prompt, only a clear yes is "same"', async () => {
  const said: string[] = ['Yes', 'no', 'Yes, mostly', 'I think so', ''];
  const complete = jest.fn(async () => chat(said.shift()!));
  const judge = new LlmJudge(fake<Provider>({ complete }, 'provider'));
  const pair = { question: 'q?', served: 'a', fresh: 'b' };
  const verdicts = [];
  for (let i = 0; i < 5; i++) verdicts.push((await judge.judge(pair, { model: 'gpt-x', apiKey: 'sk-caller' })).same);
  expect(verdicts).toEqual([true, false, true, false, false]);
  const [request, apiKey] = complete.mock.calls[0] as unknown as [Record<string, any>, string];
  expect(apiKey).toBe('sk-caller');
  expect(request).toMatchObject({ model: 'gpt-x', temperature: 0 });
  expect(request.messages[1].content).toContain('Answer A: b');
  expect(request.messages[1].content).toContain('Answer B: a');
  await expect(judge.judge(pair)).rejects.toThrow(/model/);
});
