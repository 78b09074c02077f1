/** Blobs in files: <root>/<tenant>/blobs/<ref[0:2]>/<ref>, beside the tenant's entries (see blobStore.ts). */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { namesIn as names, readIfExists, removeIfEmpty, writeFileAtomic } from './atomicFile';
import { ContentAddressedBlobs, REF, refOf } from './blobStore';

const HEX = /^[0-9a-f]{16,64}$/;
export const BLOB_DIR = 'blobs';
const RUN_SUFFIX = '.run';
const MAX_TENANTS_SEARCHED = 10_000;

export class FileBlobStore extends ContentAddressedBlobs {
  constructor(readonly root: string) {
    super();
  }

  pathOf(tenant: string, ref: string): string {
    if (!HEX.test(tenant) || !REF.test(ref)) throw new Error(`invalid blob address ${tenant}/${ref}`);
    return path.join(this.root, tenant, BLOB_DIR, ref.slice(0, 2), ref);
  }

  async get<T>(tenant: string, ref: string): Promise<T | undefined> {
    const text = await readIfExists(this.pathOf(tenant, ref));
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }

  protected async write(tenant: string, ref: string, data: string): Promise<void> {
    const file = this.pathOf(tenant, ref);
    // Already there (same content): only mark it as recently needed, so the sweeper keeps it.
    const now = new Date();
    const refreshed = await fs.utimes(file, now, now).then(() => true, () => false);
    if (!refreshed) await writeFileAtomic(file, data, { durable: false });
  }

  /**
   * Records that the fill run `run` (its workflow and run ids; only their
   * hash is in the name) obtained the answer blob `answerRef`. Atomic and,
   * like the blobs, not fsynced: it must survive the worker or Temporal
   * dying, which it does; after a power loss the blob it names may be gone
   * too, and runAnswer then finds nothing.
   */
  async markRun(tenant: string, run: string, answerRef: string): Promise<void> {
    if (!REF.test(answerRef)) throw new Error(`invalid blob reference ${answerRef}`);
    await writeFileAtomic(this.runPathOf(tenant, run), answerRef, { durable: false });
  }

  /** The answer blob `run` recorded with markRun, if the marker is there. */
  async runAnswer(tenant: string, run: string): Promise<string | undefined> {
    const ref = (await readIfExists(this.runPathOf(tenant, run)))?.trim();
    return ref && REF.test(ref) ? ref : undefined;
  }

  private runPathOf(tenant: string, run: string): string {
    const name = refOf(run);
    return this.pathOf(tenant, name).concat(RUN_SUFFIX);
  }

  /** Looks in at most MAX_TENANTS_SEARCHED tenant directories, so a huge store cannot make one decode walk them all. */
  async findAnyTenant<T>(ref: string): Promise<T | undefined> {
    for (const tenant of (await names(this.root)).filter((t) => HEX.test(t)).slice(0, MAX_TENANTS_SEARCHED)) {
      const blob = await this.get<T>(tenant, ref).catch(() => undefined);
      if (blob !== undefined) return blob;
    }
    return undefined;
  }

  async removeTenant(tenant: string): Promise<void> {
    if (!HEX.test(tenant)) throw new Error(`invalid tenant ${tenant}`);
    await fs.rm(path.join(this.root, tenant, BLOB_DIR), { recursive: true, force: true });
    await removeIfEmpty(path.join(this.root, tenant));
  }

  /** Removes blobs (and run markers) not written or refreshed since `before` (ms); returns how many. */
  async sweep(before: number): Promise<number> {
    let removed = 0;
    for (const tenant of await names(this.root)) {
      if (!HEX.test(tenant)) continue;
      const base = path.join(this.root, tenant, BLOB_DIR);
      for (const prefix of await names(base)) {
        for (const name of await names(path.join(base, prefix))) {
          const file = path.join(base, prefix, name);
          const stat = await fs.stat(file).catch(() => undefined);
          if (stat && stat.mtimeMs < before && (await fs.unlink(file).then(() => true, () => false))) removed++;
        }
      }
    }
    return removed;
  }
}
