/**
 * The background sweeper, run by workers: removes expired entries
 * (REFLEX_TTL) and, above REFLEX_MAX_ENTRIES, the least recently used ones,
 * from storage first and then from Milvus. Serving never depends on it (L1
 * and L2 check createdAt themselves); it reclaims space. Recency is the entry
 * file's mtime, refreshed by hits at most once a minute per key (see
 * l1/exactCache), so every replica on shared storage sees the same clock.
 */
import type { Logger } from 'pino';
import { Periodic } from './periodic';
import type { Metrics } from '../metrics';
import type { EntryStore, StoredFile } from '../cache/storage/entryStore';
import type { Expiry } from '../cache/storage/expiry';
import type { EntryAddress, VectorIndex } from '../cache/vectordb/index';
import type { StoredVectorFile, VectorStore } from '../cache/vectors/vectorStore';

export interface SweeperDeps {
  store: EntryStore;
  index: VectorIndex;
  expiry: Expiry;
  /** 0 = unbounded. */
  maxEntries: number;
  /** The /v1/embeddings store and its bound (REFLEX_MAX_EMBEDDINGS; 0 = unbounded): expired and least recently used vectors go too. */
  embeddings?: { store: VectorStore; maxItems: number };
  metrics: Metrics;
  log: Logger;
  /** Whether this process runs the shared chores now (postgres/leadership); always, without PostgreSQL. */
  leading?: () => boolean;
}

export interface SweepReport {
  expired: number;
  evicted: number;
  /** Only when the sweeper has an embeddings store. */
  embeddings?: { expired: number; evicted: number };
}

const DELETE_CHUNK = 256;

export class Sweeper {
  private readonly periodic: Periodic;
  /** Removed from storage, not yet from the index, by tenant/key. */
  private readonly unindexed = new Map<string, EntryAddress>();

  constructor(private readonly deps: SweeperDeps) {
    this.periodic = new Periodic(async () => (deps.leading?.() ?? true) && this.sweep(), deps.log, 'sweep');
  }

  get enabled(): boolean {
    return this.deps.expiry.enabled || this.deps.maxEntries > 0 || (this.deps.embeddings?.maxItems ?? 0) > 0;
  }

  start(intervalMs: number): void {
    if (!this.enabled) return;
    this.periodic.start(intervalMs);
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }

  async sweep(now = Date.now()): Promise<SweepReport> {
    const files: StoredFile[] = [];
    for await (const file of this.deps.store.list()) files.push(file);
    const expired = await this.expired(files, now);
    const live = files.filter((f) => !expired.has(f));
    const evicted = leastRecentlyUsedPast(live, this.deps.maxEntries);
    await this.remove([...expired], 'expired');
    await this.remove(evicted, 'evicted');
    await this.unindex(now);
    const report: SweepReport = { expired: expired.size, evicted: evicted.length };
    if (this.deps.embeddings) report.embeddings = await this.sweepEmbeddings(this.deps.embeddings, now);
    if (report.expired || report.evicted || report.embeddings?.expired || report.embeddings?.evicted) this.deps.log.info(report, 'sweep removed entries');
    return report;
  }

  /**
   * Stored embedding vectors: written or used before the TTL's cutoff
   * (createdAt is never later than the file's mtime, so that proves expiry
   * without reading), then the least recently used above the bound.
   */
  private async sweepEmbeddings({ store, maxItems }: { store: VectorStore; maxItems: number }, now: number): Promise<{ expired: number; evicted: number }> {
    const cutoff = this.deps.expiry.cutoff(now);
    const files: StoredVectorFile[] = [];
    for await (const file of store.list()) files.push(file);
    const expired = cutoff === undefined ? [] : files.filter((f) => f.usedAt < cutoff);
    const live = files.filter((f) => cutoff === undefined || f.usedAt >= cutoff);
    const evicted = leastRecentlyUsedPast(live, maxItems);
    const removed = async (batch: StoredVectorFile[], reason: string) => {
      let n = 0;
      for (const f of batch) {
        const gone = await store.remove(f.tenant, f.key).catch((err: unknown) => {
          this.deps.log.warn({ err: String(err), tenant: f.tenant, key: f.key }, 'sweep could not remove a stored embedding; retrying next interval');
          return false;
        });
        if (gone) (n++, this.deps.metrics.swept.inc({ reason }));
      }
      return n;
    };
    return { expired: await removed(expired, 'embedding_expired'), evicted: await removed(evicted, 'embedding_evicted') };
  }

  /**
   * mtime older than the cutoff proves expiry without reading (so a file that
   * cannot be read or parsed still goes); a recently used file must be read
   * for its createdAt.
   */
  private async expired(files: StoredFile[], now: number): Promise<Set<StoredFile>> {
    const cutoff = this.deps.expiry.cutoff(now);
    const out = new Set<StoredFile>();
    if (cutoff === undefined) return out;
    for (const f of files) {
      if (f.usedAt < cutoff) out.add(f);
      else {
        const entry = await this.deps.store.read(f.tenant, f.key).catch(() => undefined);
        if (entry && entry.createdAt < cutoff) out.add(f);
      }
    }
    return out;
  }

  private async remove(files: StoredFile[], reason: 'expired' | 'evicted'): Promise<void> {
    for (const f of files) {
      try {
        if (await this.deps.store.remove(f.tenant, f.key)) this.deps.metrics.swept.inc({ reason });
      } catch (err) {
        // One file that cannot be removed must not stop the sweep of every other one.
        this.deps.log.warn({ err: String(err), tenant: f.tenant, key: f.key }, 'sweep could not remove an entry; retrying next interval');
        continue;
      }
      this.unindexed.set(`${f.tenant}/${f.key}`, { tenant: f.tenant, key: f.key });
    }
  }

  private async unindex(now: number): Promise<void> {
    const pending = [...this.unindexed];
    for (let i = 0; i < pending.length; i += DELETE_CHUNK) {
      const chunk = pending.slice(i, i + DELETE_CHUNK);
      await this.deps.index.delete(chunk.map(([, address]) => address));
      for (const [id] of chunk) this.unindexed.delete(id);
    }
    // Also catches vectors whose files another replica's sweep already removed.
    const cutoff = this.deps.expiry.cutoff(now);
    if (cutoff !== undefined) await this.deps.index.deleteCreatedBefore(cutoff);
  }
}

/** The least recently used files beyond the newest `max` (none when `max` is 0: unbounded). */
function leastRecentlyUsedPast<F extends { usedAt: number }>(files: F[], max: number): F[] {
  return max > 0 ? [...files].sort((a, b) => a.usedAt - b.usedAt).slice(0, Math.max(0, files.length - max)) : [];
}
