/**
 * Content-addressed blobs beside the entries, for the miss path's claim
 * check: a fill's request and its answer are written here once, and Temporal
 * history carries only their sha256 (the reference). Blobs live under the
 * tenant's own directory (<root>/<tenant>/blobs/<ref[0:2]>/<ref>), so a tenant
 * purge removes them too. Writing the same content twice writes one file.
 * They are only needed while a fill runs; the sweeper removes old ones.
 *
 * Beside them, a fill run's answer marker (<ref[0:2]>/<run>.run, where <run>
 * is the sha256 of the run's workflow and run ids): which answer blob that
 * run already paid the provider for, so a replay of its first workflow task
 * reuses it (see obtainAnswer). Markers live in the same directories, so the
 * same sweep (by age) and a tenant purge remove them with the blobs.
 *
 * Blobs are written without fsync: they sit on the miss path twice (the
 * request before the fill starts, the answer before the client gets it), an
 * fsync costs milliseconds there, and they only live until the fill's entry
 * is written durably (that write keeps its fsync). A power loss inside that
 * window loses one cache entry (the fill fails visibly), never an answer
 * already given, and never an entry already stored.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

export const REF = /^[0-9a-f]{64}$/;

export interface BlobStore {
  /** Stores value as JSON; returns its reference (the sha256 of the JSON). */
  put(tenant: string, value: unknown): Promise<string>;
  /** put, and records the blob as the answer the fill run `run` obtained (markRun). */
  putForRun(tenant: string, run: string, value: unknown): Promise<string>;
  get<T>(tenant: string, ref: string): Promise<T | undefined>;
  /** Records that the fill run `run` obtained the answer blob `answerRef`. */
  markRun(tenant: string, run: string, answerRef: string): Promise<void>;
  /** The answer blob `run` recorded with markRun, if any. */
  runAnswer(tenant: string, run: string): Promise<string | undefined>;
  /** Removes blobs (and run markers) not written or refreshed since `before` (ms); returns how many. */
  sweep(before: number): Promise<number>;
  /** A blob by its reference alone, in whichever tenant holds it (the codec endpoint, which may not know the tenant). */
  findAnyTenant<T>(ref: string): Promise<T | undefined>;
  /** Removes a tenant's blobs and run markers (a tenant purge). */
  removeTenant(tenant: string): Promise<void>;
}

/**
 * Copies of the blobs this process put in the last minute. A fill reads its
 * request back in the provider step and again, with its answer, in the store
 * step, moments after they were put, and in `reflex start` the same process
 * put them: three reads per miss that need no I/O. A reference is the hash of
 * its content, so a copy is never stale; a sweep or a purge drops them (a
 * swept blob is not served from memory), and another process simply reads.
 */
const RECENT = { maxSize: 8 << 20, maxEntrySize: 1 << 20, ttl: 60_000 };

/** What every adapter shares: references are the sha256 of the JSON, a run's answer is written with its marker, recent blobs are read from memory. */
export abstract class ContentAddressedBlobs implements BlobStore {
  private readonly recent = new LRUCache<string, string>({ ...RECENT, sizeCalculation: (data) => Math.max(1, data.length) });

  async put(tenant: string, value: unknown): Promise<string> {
    const data = JSON.stringify(value);
    const ref = refOf(data);
    await this.write(tenant, ref, data);
    this.remember(tenant, ref, data);
    return ref;
  }

  /**
   * put, and records the blob as the answer the fill run `run` obtained
   * (markRun). Both are written at once: a marker whose blob did not make it
   * reads as no marker (runAnswer's caller checks the blob).
   */
  async putForRun(tenant: string, run: string, value: unknown): Promise<string> {
    const data = JSON.stringify(value);
    const ref = refOf(data);
    await Promise.all([this.write(tenant, ref, data), this.markRun(tenant, run, ref)]);
    this.remember(tenant, ref, data);
    return ref;
  }

  async get<T>(tenant: string, ref: string): Promise<T | undefined> {
    const copy = this.recent.get(recentKey(tenant, ref));
    if (copy !== undefined) return JSON.parse(copy) as T;
    const data = await this.read(tenant, ref);
    return data === undefined ? undefined : (JSON.parse(data) as T);
  }

  async sweep(before: number): Promise<number> {
    this.recent.clear();
    return this.removeOlder(before);
  }

  async removeTenant(tenant: string): Promise<void> {
    for (const key of this.recent.keys()) if (key.startsWith(recentKey(tenant, ''))) this.recent.delete(key);
    await this.removeAll(tenant);
  }

  private remember(tenant: string, ref: string, data: string): void {
    this.recent.set(recentKey(tenant, ref), data);
  }

  /** Stores `data` under `ref`; the same content again only refreshes its time, so the sweep keeps it. */
  protected abstract write(tenant: string, ref: string, data: string): Promise<void>;
  /** The JSON stored under `ref`, if any. */
  protected abstract read(tenant: string, ref: string): Promise<string | undefined>;
  /** sweep, in storage. */
  protected abstract removeOlder(before: number): Promise<number>;
  /** removeTenant, in storage. */
  protected abstract removeAll(tenant: string): Promise<void>;
  abstract markRun(tenant: string, run: string, answerRef: string): Promise<void>;
  abstract runAnswer(tenant: string, run: string): Promise<string | undefined>;
  abstract findAnyTenant<T>(ref: string): Promise<T | undefined>;
}

const recentKey = (tenant: string, ref: string) => `${tenant}/${ref}`;

export const refOf = (data: string) => createHash('sha256').update(data).digest('hex');
