/**
 * Background upkeep of the miss path, run by workers beside the sweeper:
 *
 * - drains the outbox: every answer given while Temporal was unreachable is
 *   handed to the fill workflow (store + index from the answer it carries,
 *   never a second provider call), then its record is removed;
 * - removes claim-check blobs (fill requests and answers) old enough that no
 *   fill can still need them.
 */
import type { Logger } from 'pino';
import { Periodic } from './periodic';
import type { BlobStore } from '../cache/storage/blobStore';
import type { Outbox } from '../miss/outbox/outbox';
import type { Metrics } from '../metrics';
import type { FillClient } from '../miss/fillClient';
import { missSpecOf } from '../miss/missSpec';

export const DRAIN_INTERVAL_MS = 5_000;
/** Far beyond a fill's life (provider retries, client deadline, store retries); blobs are needed only while a fill runs. */
export const BLOB_RETENTION_MS = 60 * 60_000;
const BLOB_SWEEP_EVERY_MS = 10 * 60_000;

export interface MissUpkeepDeps {
  outbox: Outbox;
  blobs: BlobStore;
  fill: FillClient;
  metrics: Metrics;
  log: Logger;
  /** Whether this process runs the shared chores now (postgres/leadership); always, without PostgreSQL. */
  leading?: () => boolean;
}

export class MissUpkeep {
  private readonly periodic: Periodic;
  private lastBlobSweep = 0;

  constructor(private readonly deps: MissUpkeepDeps) {
    this.periodic = new Periodic(() => this.tick(), deps.log, 'miss-path upkeep');
  }

  start(intervalMs = DRAIN_INTERVAL_MS): void {
    this.periodic.start(intervalMs);
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }

  private async tick(now = Date.now()): Promise<void> {
    if (this.deps.leading && !this.deps.leading()) return;
    await this.drain();
    if (now - this.lastBlobSweep >= BLOB_SWEEP_EVERY_MS) {
      this.lastBlobSweep = now;
      const removed = await this.deps.blobs.sweep(now - BLOB_RETENTION_MS);
      if (removed) this.deps.log.info({ removed }, 'old claim-check blobs removed');
    }
  }

  /** Hands every outbox record to its fill; stops at the first failure (Temporal still down) until the next tick. */
  async drain(): Promise<number> {
    let drained = 0;
    for await (const { tenant, key } of this.deps.outbox.claim()) {
      const record = await this.deps.outbox.read(tenant, key);
      if (!record) continue;
      const workflowId = await this.deps.fill.handOff(missSpecOf(record), record.answer, true);
      await this.deps.outbox.remove(tenant, key);
      this.deps.metrics.outbox.inc({ event: 'drained' });
      this.deps.log.info({ tenant, key, workflowId }, 'outbox record handed to its fill');
      drained++;
    }
    return drained;
  }
}
