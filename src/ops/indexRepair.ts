/**
 * The index heals itself: the worker that runs the shared chores checks the
 * entries written or used lately against the vector index and re-inserts the
 * ones it lacks. A fill can complete while Milvus later loses an insert it
 * had acknowledged (seen once under a kill -9); its workflow succeeded, so
 * `reflex replay` never sees it. The entry store is the source of truth.
 *
 * When: every REFLEX_REPAIR_INTERVAL over the last REFLEX_REPAIR_WINDOW, and
 * as soon as the index answers again after it could not (a restart is when
 * acknowledged inserts get lost). A probe every few seconds notices that.
 */
import type { Logger } from 'pino';
import type { EntryStore, StoredFile } from '../cache/storage/entryStore';
import type { Expiry } from '../cache/storage/expiry';
import type { Metrics } from '../metrics';
import { addressId, VectorIndex } from '../cache/vectordb/index';
import { indexRecordOf } from '../cache/vectordb/record';
import { Periodic } from './periodic';

export const PROBE_MS = 5_000;
const BATCH = 256;
/** A fill stores, then indexes, milliseconds apart: an entry this young is not missing yet, only not indexed yet. */
const SETTLE_MS = 5_000;

export interface IndexRepairDeps {
  store: EntryStore;
  index: VectorIndex;
  expiry: Expiry;
  metrics: Metrics;
  log: Logger;
  /** How far back a pass looks (ms). */
  windowMs: number;
  /** Between scheduled passes (ms). */
  intervalMs: number;
  /** Whether this process runs the shared chores now (Leadership); always, without PostgreSQL. */
  leading?: () => boolean;
}

export interface RepairReport {
  checked: number;
  repaired: number;
}

export class IndexRepair {
  private readonly periodic: Periodic;
  private indexDown = false;
  private lastPass = Date.now();

  constructor(private readonly deps: IndexRepairDeps) {
    this.periodic = new Periodic(() => this.tick(), deps.log, 'index repair');
  }

  start(probeMs = PROBE_MS): void {
    this.periodic.start(probeMs);
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }

  /** Probes the index; runs a pass when it came back, or when the schedule says so. */
  async tick(now = Date.now()): Promise<RepairReport | undefined> {
    if (this.deps.leading && !this.deps.leading()) return undefined;
    try {
      await this.deps.index.check();
    } catch {
      this.indexDown = true;
      return undefined;
    }
    const reconnected = this.indexDown;
    if (!reconnected && now - this.lastPass < this.deps.intervalMs) return undefined;
    const report = await this.pass(now);
    this.indexDown = false;
    this.lastPass = now;
    if (report.repaired || reconnected) this.deps.log.info({ ...report, reconnected }, 'index repair pass');
    return report;
  }

  /** Checks every entry written or used in the window (and old enough to have settled); re-inserts the missing. */
  async pass(now = Date.now()): Promise<RepairReport> {
    const report: RepairReport = { checked: 0, repaired: 0 };
    let batch: StoredFile[] = [];
    for await (const file of this.deps.store.recent(now - this.deps.windowMs)) {
      batch.push(file);
      if (batch.length === BATCH) (await this.repair(batch, now, report), (batch = []));
    }
    await this.repair(batch, now, report);
    return report;
  }

  private async repair(files: StoredFile[], now: number, report: RepairReport): Promise<void> {
    if (files.length === 0) return;
    report.checked += files.length;
    const present = await this.deps.index.present(files);
    const records = [];
    for (const file of files.filter((f) => !present.has(addressId(f)))) {
      const entry = await this.deps.store.read(file.tenant, file.key).catch(() => undefined);
      // Gone, unreadable or expired since the listing: nothing to index. Too young: its fill is still at it.
      if (!entry || this.deps.expiry.isExpired(entry, now) || now - entry.createdAt < SETTLE_MS) continue;
      try {
        records.push(indexRecordOf(entry));
      } catch (err) {
        this.deps.log.warn({ err: String(err), tenant: file.tenant, key: file.key }, 'index repair: entry cannot be indexed (run `reflex reindex --reembed`)');
      }
    }
    if (records.length === 0) return;
    await this.deps.index.upsert(records);
    report.repaired += records.length;
    this.deps.metrics.indexRepairs.inc(records.length);
    this.deps.log.warn({ repaired: records.map((r) => `${r.tenant}/${r.key}`) }, 'stored entries missing from the vector index re-inserted');
  }
}
