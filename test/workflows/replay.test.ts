/**
 * Determinism guard: every saved history under test/workflows/histories is
 * replayed against today's workflow code. A workflow change that would break
 * a fill or maintenance run already in flight (a reordered, added or removed
 * activity, timer or search-attribute upsert) fails here, in CI, instead of in
 * production. Changing a workflow on purpose: see docs/workflows.md.
 */
import { Worker } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { dataConverter, EncryptionCodec } from '../../src/temporal/payloadCodec';
import { historyFromJSON } from './historyJson';
import { HISTORIES_DIR, SinkLog, WORKFLOWS_PATH } from './support';

/** One history per outcome, so none can disappear unnoticed. */
const REQUIRED = [
  'fill-cached',
  'fill-cached-embedded',
  'fill-already-cached',
  'fill-provider-failed',
  'fill-not-stored',
  'fill-not-cacheable',
  'fill-store-failed',
  'fill-index-failed',
  'fill-early-return',
  'fill-coalesced',
  'fill-prefetched',
  'fill-index-retried',
  // Fills that run in one task (FillInput.inOneTask): no patch markers, the write as a local activity.
  'fill-cached-one-task',
  'fill-store-retried-one-task',
  'fill-prefetched-one-task',
  // Fills started with their presumed outcome (FillInput.outcomeAtStart): a cached end records nothing more.
  'fill-cached-outcome-at-start',
  'fill-index-failed-outcome-at-start',
  // Fills started before one activity stored and indexed (ONE_WRITE_STEP_PATCH) replay the two-step path.
  ...['cached', 'cached-embedded', 'store-failed', 'index-failed', 'early-return', 'coalesced', 'prefetched'].map((s) => `fill-${s}.pre-fill-one-write-step`),
  // Fills started before the claim check (CLAIM_CHECK_PATCH) replay the legacy path.
  ...['cached', 'already-cached', 'provider-failed', 'store-failed', 'index-failed', 'coalesced', 'prefetched'].map((s) => `fill-${s}.pre-fill-claim-check`),
  'replay-indexed',
  'replay-nothing-stored',
  'delete-deleted',
  'delete-absent',
  'purge-purged',
  // Audits of semantic hits (issue 28): each outcome.
  'audit-right',
  'audit-wrong',
  'audit-wrong-repaired',
  'audit-entry-gone',
];

const fixtures = readdirSync(HISTORIES_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({ name: path.basename(file, '.json'), json: readFileSync(path.join(HISTORIES_DIR, file), 'utf8') }));

test('a saved history exists for every workflow outcome', () => {
  expect(REQUIRED.filter((name) => !fixtures.some((f) => f.name === name))).toEqual([]);
});

/** The production worker decodes through the payload codec: plain payloads (these fixtures) must pass through it. */
const codec = new EncryptionCodec({ id: 'replay-test', key: randomBytes(32) });

/**
 * A fixture as an encrypting worker would have written it: every payload
 * sealed, except what never goes through a codec: search attributes, headers
 * and the SDK core's own marker data (a local activity's `details.data`, a
 * patch marker's `details.patch-data`).
 */
async function encryptedCopy(json: string): Promise<string> {
  const doc = JSON.parse(json);
  const sealing: Promise<void>[] = [];
  const walk = (node: unknown, key: string): void => {
    if (['searchAttributes', 'header', 'data', 'patch-data'].includes(key) || !node || typeof node !== 'object') return;
    const o = node as { metadata?: Record<string, string>; data?: string };
    if (o.metadata?.encoding !== undefined) {
      const payload = { metadata: Object.fromEntries(Object.entries(o.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])), data: Buffer.from(o.data ?? '', 'base64') };
      sealing.push(
        codec.encode([payload]).then(([sealed]) => {
          o.metadata = Object.fromEntries(Object.entries(sealed!.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')]));
          o.data = Buffer.from(sealed!.data!).toString('base64');
        }),
      );
      return;
    }
    for (const [k, v] of Object.entries(node)) walk(v, k);
  };
  walk(doc, '');
  await Promise.all(sealing);
  return JSON.stringify(doc);
}

test('every saved history replays against the current workflow code, as recorded and encrypted, through the payload codec', async () => {
  const sealed = await Promise.all(fixtures.map(async (f) => ({ name: `${f.name} (encrypted)`, json: await encryptedCopy(f.json) })));
  const input = JSON.parse(fixtures[0]!.json).events[0].workflowExecutionStartedEventAttributes.input.payloads[0].data;
  expect(sealed[0]!.json).toContain(Buffer.from('binary/encrypted').toString('base64'));
  expect(sealed[0]!.json).not.toContain(input);
  const histories = [...fixtures, ...sealed].map((f) => ({ workflowId: f.name, history: historyFromJSON(f.json) }));
  const failures: string[] = [];
  let replayed = 0;
  const options = { workflowsPath: WORKFLOWS_PATH, sinks: new SinkLog().sinks(), dataConverter: dataConverter(codec) };
  for await (const result of Worker.runReplayHistories(options, histories)) {
    replayed++;
    if (result.error) failures.push(`${result.workflowId}: ${result.error.name}: ${result.error.message}`);
  }
  expect(failures).toEqual([]);
  expect(replayed).toBe(2 * fixtures.length);
});
