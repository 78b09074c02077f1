/**
 * The index repair on a real entry store (temp dir) and the in-memory index:
 * entries the index lost are re-inserted (and counted), what it holds is left
 * alone, expired and too-young entries are not indexed, entries outside the
 * window are not looked at, and a pass runs as soon as the index answers
 * again after an outage, without waiting for the schedule.
 */
import { mkdtempSync, rmSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { Entry } from '../../src/cache/storage/entry';
import { FileEntryStore } from '../../src/cache/storage/fileEntryStore';
import { Expiry, NEVER_EXPIRES } from '../../src/cache/storage/expiry';
import { Metrics } from '../../src/metrics';
import { IndexRepair } from '../../src/ops/indexRepair';
import { MemoryIndex } from '../../src/cache/vectordb/memory';
import { indexRecordOf } from '../../src/cache/vectordb/record';

const TENANT = 'ab'.repeat(8);
const HOUR = 3_600_000;
const key = (n: number) => n.toString(16).padStart(64, '0');
const entry = (n: number, createdAt: number): Entry => ({
  version: 1, tenant: TENANT, key: key(n), context: 'cc', model: 'm', createdAt, semanticText: `q${n}`, embedding: [1, -1, 0.5, -0.5, 1, 1, -1, 0.25], response: { choices: [] },
});

class FlakyIndex extends MemoryIndex {
  down = false;
  override async check() {
    if (this.down) throw new Error('milvus unreachable');
  }
}

let root: string;
let store: FileEntryStore;
let index: FlakyIndex;
let metrics: Metrics;
const repairs = async () => (await metrics.indexRepairs.get()).values[0]?.value ?? 0;
const repairer = (expiry = NEVER_EXPIRES, intervalMs = HOUR, leading?: () => boolean) =>
  new IndexRepair({ store, index, expiry, metrics, log: pino({ level: 'silent' }), windowMs: HOUR, intervalMs, leading });

async function stored(n: number, createdAt: number, indexed: boolean): Promise<Entry> {
  const e = entry(n, createdAt);
  await store.write(e);
  if (indexed) await index.upsert([indexRecordOf(e)]);
  return e;
}

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'reflex-repair-'));
  store = new FileEntryStore(root);
  index = new FlakyIndex();
  metrics = new Metrics();
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

test('entries missing from the index are re-inserted and counted; indexed ones are left alone', async () => {
  const now = Date.now();
  for (let n = 0; n < 300; n++) await stored(n, now - 60_000, n % 3 !== 0); // 100 lost, across two batches
  expect(index.size).toBe(200);
  expect(await repairer().pass(now)).toEqual({ checked: 300, repaired: 100 });
  expect(index.size).toBe(300);
  expect(await repairs()).toBe(100);
  const found = await index.search(indexRecordOf(entry(0, 0)).bits, { tenant: TENANT, context: 'cc' }, 300);
  expect(found.map((h) => h.key)).toContain(key(0));
  // A second pass finds nothing to do.
  expect(await repairer().pass(now)).toEqual({ checked: 300, repaired: 0 });
});

test('expired entries, entries still settling, and entries outside the window are not indexed', async () => {
  const now = Date.now();
  await stored(1, now - 2 * HOUR, false); // expired under a one-hour TTL (and its file is old)
  utimesSync(store.pathOf(TENANT, key(1)), new Date(now - 10_000), new Date(now - 10_000)); // but used lately
  await stored(2, now - 1000, false); // its fill is indexing it right now
  await stored(3, now - 3 * HOUR, false);
  utimesSync(store.pathOf(TENANT, key(3)), new Date(now - 2 * HOUR), new Date(now - 2 * HOUR)); // outside the window
  expect(await repairer(new Expiry(HOUR)).pass(now)).toEqual({ checked: 2, repaired: 0 });
  expect(index.size).toBe(0);
});

test('a pass runs as soon as the index answers again after an outage, and on schedule otherwise', async () => {
  const now = Date.now();
  const repair = repairer(NEVER_EXPIRES, 600_000);
  await stored(1, now - 60_000, false);
  expect(await repair.tick(now)).toBeUndefined(); // the schedule's first pass is an interval away
  index.down = true;
  expect(await repair.tick(now + 1000)).toBeUndefined();
  index.down = false;
  expect(await repair.tick(now + 2000)).toEqual({ checked: 1, repaired: 1 }); // back: a pass at once
  await stored(2, now - 60_000, false);
  expect(await repair.tick(now + 3000)).toBeUndefined(); // not due
  expect(await repair.tick(now + 2000 + 600_000)).toEqual({ checked: 2, repaired: 1 });
});

test('only the worker that leads the shared chores repairs', async () => {
  const now = Date.now();
  await stored(1, now - 60_000, false);
  let leading = false;
  const repair = repairer(NEVER_EXPIRES, 1, () => leading);
  expect(await repair.tick(now + 10)).toBeUndefined();
  expect(index.size).toBe(0);
  leading = true;
  expect(await repair.tick(now + 20)).toEqual({ checked: 1, repaired: 1 });
});
