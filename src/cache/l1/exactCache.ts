/**
 * L1: exact-key lookup. An in-process LRU in front of the entry store, so a
 * repeat is answered from memory, and after a restart from the entry file.
 * Expired entries are never returned. Memory copies are re-read from disk
 * after `revalidateMs`, so a delete made through another replica stops being
 * served within that window. Hits refresh the file's mtime (at most once a
 * minute per key): that is the LRU clock storage eviction uses.
 *
 * Read-your-writes: an answer this process just received from a fill is
 * served as an exact hit at once (`provisional`), while the fill's durable
 * write is still under way; the stored file wins as soon as it exists, and a
 * provisional answer is dropped after PROVISIONAL_MS either way.
 */
import { LRUCache } from 'lru-cache';
import { Entry } from '../storage/entry';
import { EntryStore } from '../storage/entryStore';
import { Expiry, NEVER_EXPIRES } from '../storage/expiry';

export interface ExactCacheOptions {
  expiry?: Expiry;
  /** 0 = memory copies are trusted until evicted. */
  revalidateMs?: number;
  /** Refresh the file's mtime on use (only worth a syscall when storage is bounded). */
  trackRecency?: boolean;
}

const TOUCH_EVERY_MS = 60_000;
/** Long enough for any fill's store step to finish; bounded so a failed write is not served forever. */
export const PROVISIONAL_MS = 60_000;

export class ExactCache {
  private readonly lru: LRUCache<string, Entry>;
  private readonly touched: LRUCache<string, true>;
  private readonly provisionals: LRUCache<string, Entry>;
  private readonly expiry: Expiry;

  /** Copies served past their revalidation because the store could not answer (readOrStale). */
  private readonly stale = new WeakSet<Entry>();

  constructor(private readonly store: EntryStore, capacity: number, private readonly options: ExactCacheOptions = {}) {
    // A copy past its revalidation stays (noDeleteOnStaleGet) until evicted: served only when the store cannot answer (load).
    this.lru = new LRUCache({ max: capacity, ...(options.revalidateMs ? { ttl: options.revalidateMs, noDeleteOnStaleGet: true } : {}) });
    this.touched = new LRUCache({ max: capacity, ttl: TOUCH_EVERY_MS });
    this.provisionals = new LRUCache({ max: capacity, ttl: PROVISIONAL_MS });
    this.expiry = options.expiry ?? NEVER_EXPIRES;
  }

  /**
   * An exact hit from memory alone, answered synchronously (the common hit
   * needs no promise at all); undefined when memory has no fresh copy, and
   * then get() decides. Counts as a use.
   */
  getInMemory(tenant: string, key: string): Entry | undefined {
    const id = `${tenant}:${key}`;
    const entry = this.lru.get(id);
    if (!entry) return undefined;
    if (this.expiry.isExpired(entry)) {
      this.lru.delete(id);
      return undefined;
    }
    this.markUsed(entry);
    return entry;
  }

  /**
   * Memory or a provisional answer, synchronously: the miss path's last look
   * before it pays, in the same tick as its decision to lead a flight.
   */
  getNow(tenant: string, key: string): Entry | undefined {
    return this.getInMemory(tenant, key) ?? this.provisionals.get(`${tenant}:${key}`);
  }

  /** An exact hit: memory first, then disk (promoting what disk had); counts as a use. */
  async get(tenant: string, key: string): Promise<Entry | undefined> {
    const entry = await this.load(tenant, key);
    if (entry) this.markUsed(entry);
    return entry;
  }

  /**
   * The same read without counting as a use: L2 loads a whole shortlist to
   * rescore it, and only the candidate it serves was used (see remember).
   */
  async load(tenant: string, key: string): Promise<Entry | undefined> {
    const id = `${tenant}:${key}`;
    const stored = this.lru.get(id) ?? (await this.readOrStale(tenant, key, id));
    if (stored) this.provisionals.delete(id);
    const entry = stored ?? this.provisionals.get(id);
    if (!entry) return undefined;
    if (!stored) return entry; // provisional: not in storage yet, so nothing to touch or promote
    if (this.expiry.isExpired(entry)) {
      this.lru.delete(id);
      return undefined;
    }
    // Promoted when read from the store; a stale copy served above stays stale, so the next use asks the store again.
    if (!this.lru.has(id) && !this.stale.has(entry)) this.lru.set(id, entry);
    return entry;
  }

  /**
   * A copy in memory, even past its revalidation (never an expired one), with
   * no storage read and no use counted: what L2 ranks a shortlist by. Whatever
   * it ranks first is loaded (revalidated) before it is served.
   */
  inMemory(tenant: string, key: string): Entry | undefined {
    const id = `${tenant}:${key}`;
    const entry = this.lru.get(id, { allowStale: true }) ?? this.provisionals.get(id);
    return entry && !this.expiry.isExpired(entry) ? entry : undefined;
  }

  /**
   * The stored entry; when the store cannot answer (PostgreSQL or the shared
   * volume down), the copy this replica last read, if it still has one
   * (stale-if-error): what it served seconds ago beats paying the provider
   * again for every hit of the outage. Expiry still applies (load).
   */
  private async readOrStale(tenant: string, key: string, id: string): Promise<Entry | undefined> {
    try {
      return await this.store.read(tenant, key);
    } catch (err) {
      const stale = this.lru.get(id, { allowStale: true });
      if (!stale) throw err;
      this.stale.add(stale);
      return stale;
    }
  }

  /** Keeps an entry L2 served in memory and counts it as used. */
  remember(entry: Entry): void {
    this.lru.set(`${entry.tenant}:${entry.key}`, entry);
    this.markUsed(entry);
  }

  /** An answer whose fill is still storing it: an exact hit in this process until the file exists (at most PROVISIONAL_MS). */
  provisional(entry: Entry): void {
    this.provisionals.set(`${entry.tenant}:${entry.key}`, entry);
  }

  forget(tenant: string, key?: string): void {
    for (const cache of [this.lru, this.provisionals]) {
      if (key !== undefined) cache.delete(`${tenant}:${key}`);
      else for (const id of cache.keys()) if (id.startsWith(`${tenant}:`)) cache.delete(id);
    }
  }

  private markUsed({ tenant, key }: Entry): void {
    const id = `${tenant}:${key}`;
    if (!this.options.trackRecency || this.touched.has(id)) return;
    this.touched.set(id, true);
    // Best effort: a lost touch only makes the entry look a minute older to eviction.
    this.store.touch(tenant, key).catch(() => undefined);
  }
}
