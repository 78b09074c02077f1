/**
 * Determinism guard: every saved history under test/workflows/histories is
 * replayed against today's workflow code. A workflow change that would break
 * a fill or maintenance run already in flight (a reordered, added or removed
 * activity, timer or search-attribute upsert) fails here, in CI, instead of in
 * production. Changing a workflow on purpose: see docs/workflows.md.
 */
import { Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
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
  // Fills started before the claim check (CLAIM_CHECK_PATCH) replay the legacy path.
  ...['cached', 'already-cached', 'provider-failed', 'store-failed', 'index-failed', 'coalesced', 'prefetched'].map((s) => `fill-${s}.pre-fill-claim-check`),
  'replay-indexed',
  'replay-nothing-stored',
  'delete-deleted',
  'delete-absent',
  'purge-purged',
];

const fixtures = readdirSync(HISTORIES_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({ name: path.basename(file, '.json'), json: readFileSync(path.join(HISTORIES_DIR, file), 'utf8') }));

test('a saved history exists for every workflow outcome', () => {
  expect(REQUIRED.filter((name) => !fixtures.some((f) => f.name === name))).toEqual([]);
});

test('every saved history replays against the current workflow code', async () => {
  const histories = fixtures.map((f) => ({ workflowId: f.name, history: historyFromJSON(f.json) }));
  const failures: string[] = [];
  let replayed = 0;
  for await (const result of Worker.runReplayHistories({ workflowsPath: WORKFLOWS_PATH, sinks: new SinkLog().sinks() }, histories)) {
    replayed++;
    if (result.error) failures.push(`${result.workflowId}: ${result.error.name}: ${result.error.message}`);
  }
  expect(failures).toEqual([]);
  expect(replayed).toBe(fixtures.length);
});
