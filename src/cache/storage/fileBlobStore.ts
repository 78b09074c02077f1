/** Blobs in files: <root>/<tenant>/blobs/<ref[0:2]>/<ref>, beside the tenant's entries (see blobStore.ts). */
import { existsSync, promises as fs } from 'node:fs';
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

  protected read(tenant: string, ref: string): Promise<string | undefined> {
    return readIfExists(this.pathOf(tenant, ref));
  }

  /**
   * The same content again replaces the file with itself, which also marks it
   * as recently needed for the sweeper. Nearly every put is new content (a
   * miss's request, a provider's answer), so trying to refresh an existing
   * copy first was a failing system call on each.
   */
  protected async write(tenant: string, ref: string, data: string): Promise<void> {
    await writeFileAtomic(this.pathOf(tenant, ref), data, { durable: false });
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
    const file = this.runPathOf(tenant, run);
    // Nearly every run asks before it has a marker: one stat here instead of a failing open in libuv's pool.
    if (!existsSync(file)) return undefined;
    const ref = (await readIfExists(file))?.trim();
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

  protected async removeAll(tenant: string): Promise<void> {
    if (!HEX.test(tenant)) throw new Error(`invalid tenant ${tenant}`);
    await fs.rm(path.join(this.root, tenant, BLOB_DIR), { recursive: true, force: true });
    await removeIfEmpty(path.join(this.root, tenant));
  }

  protected async removeOlder(before: number): Promise<number> {
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
