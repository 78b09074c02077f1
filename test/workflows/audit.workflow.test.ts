/**
 * auditHitWorkflow (issue 28) against a local Temporal dev server with fake
 * activities: ask again, judge, repair only a wrong hit whose fresh answer
 * may be cached; a served entry deleted meanwhile ends it without a verdict.
 */
import type { auditHitWorkflow } from '../../src/workflows/audit';
import { AUDIT_WORKFLOW, AuditInput, auditWorkflowId } from '../../src/workflows/auditDefinitions';
import { reflexAttributes, startAttributes } from '../../src/workflows/visibility';
import { FakeActivities, SinkLog, useTestEnv, recordHistory, withWorker } from './support';

const t = useTestEnv();

const tenant = '0123456789abcdef';
const input: AuditInput = {
  tenant, key: 'k'.repeat(64), entryKey: 'e'.repeat(64), model: 'm', requestRef: 'r'.repeat(64), similarity: 0.91, judge: 'embedding', repair: true,
  policy: { providerMaxAttempts: 2, providerTimeoutMs: 1000 },
};

/** `history`: the name its history is saved under for the replay test (REFLEX_RECORD_HISTORIES=1). */
async function audit(fakes: FakeActivities, args: AuditInput, unique: string, history?: string) {
  const sinks = new SinkLog();
  let result: unknown;
  let outcome: unknown;
  await withWorker(t.env, fakes, async (taskQueue) => {
    const handle = await t.env.client.workflow.start<typeof auditHitWorkflow>(AUDIT_WORKFLOW, {
      workflowId: auditWorkflowId(tenant, args.key, unique), taskQueue, args: [args],
      typedSearchAttributes: startAttributes({ tenant, key: args.key, model: 'm', kind: 'audit' }),
    });
    result = await handle.result();
    outcome = (await handle.describe()).typedSearchAttributes.get(reflexAttributes.outcome);
    if (history) await recordHistory(handle, history);
  }, sinks);
  return { result, outcome, names: fakes.calls.map((c) => c.name), sinks: sinks.calls };
}

test('a wrong hit with a cacheable fresh answer is repaired under the asked key', async () => {
  const fakes = new FakeActivities({ judgeHit: async () => ({ outcome: 'judged', wrong: true, score: 0.2 }) });
  const r = await audit(fakes, input, '00000001', 'audit-wrong-repaired');
  expect(r.result).toEqual({ outcome: 'wrong_repaired', score: 0.2 });
  expect(r.outcome).toBe('wrong_repaired');
  expect(r.names).toEqual(['askAgain', 'judgeHit', 'repairEntry']);
  expect(fakes.calls[2]!.args[0]).toEqual({ tenant, key: input.key, requestRef: input.requestRef, answerRef: 'b'.repeat(64) });
  expect(r.sinks).toEqual(['started:audit', 'finished:audit:wrong_repaired']);
});

test('a right hit, a wrong one with repair off, and a wrong one whose fresh answer may not be cached are not repaired', async () => {
  const right = await audit(new FakeActivities(), input, '00000002', 'audit-right');
  expect(right.result).toEqual({ outcome: 'right', score: 0.9 });
  expect(right.names).toEqual(['askAgain', 'judgeHit']);
  const wrong = () => new FakeActivities({ judgeHit: async () => ({ outcome: 'judged', wrong: true, score: 0.1 }) });
  expect((await audit(wrong(), { ...input, repair: false }, '00000003')).names).toEqual(['askAgain', 'judgeHit']);
  const uncacheable = new FakeActivities({
    askAgain: async () => ({ answerRef: 'b'.repeat(64), cacheable: false, source: 'provider' }),
    judgeHit: async () => ({ outcome: 'judged', wrong: true, score: 0.1 }),
  });
  const r = await audit(uncacheable, input, '00000004', 'audit-wrong');
  expect(r.result).toEqual({ outcome: 'wrong', score: 0.1 });
  expect(r.names).toEqual(['askAgain', 'judgeHit']);
  // The verdict is told no repair happens (it records `repaired` only for one that does).
  expect(uncacheable.calls[1]!.args[0]).toMatchObject({ repair: false, freshRef: 'b'.repeat(64) });
});

test('a served entry deleted since the hit ends the audit without a verdict or repair', async () => {
  const r = await audit(new FakeActivities({ judgeHit: async () => ({ outcome: 'entry_gone', wrong: false, score: 0 }) }), input, '00000005', 'audit-entry-gone');
  expect(r.result).toEqual({ outcome: 'entry_gone' });
  expect(r.names).toEqual(['askAgain', 'judgeHit']);
});
