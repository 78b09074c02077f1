/**
 * Entries in files: one JSON file each under <root>/<tenant>/<key[0:2]>/<key>.json.
 * Writes are atomic (temp file, fsync, rename, fsync dir) so a reader or a
 * crash never sees half an entry; a file is never rewritten in place.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { namesIn, readIfExists, removeIfEmpty, writeFileAtomic } from './atomicFile';
import { Entry, isEntry } from './entry';
import { EntryStore, KEY_PATTERN, type StoredFile } from './entryStore';

export class FileEntryStore implements EntryStore {
  constructor(readonly root: string) {}

  pathOf(tenant: string, key: string): string {
    if (!KEY_PATTERN.test(tenant) || !KEY_PATTERN.test(key)) throw new Error(`invalid entry address ${tenant}/${key}`);
    return path.join(this.root, tenant, key.slice(0, 2), `${key}.json`);
  }

  async read(tenant: string, key: string): Promise<Entry | undefined> {
    const file = this.pathOf(tenant, key);
    // Most reads on the hit path ask for a key never stored (every semantic lookup checks its exact
    // key first): one stat on this thread, microseconds against cached directory entries, answers
    // those without an open through libuv's pool and a rejected promise.
    if (!existsSync(file)) return undefined;
    const text = await readIfExists(file);
    if (text === undefined) return undefined;
    const parsed: unknown = JSON.parse(text);
    return isEntry(parsed) ? parsed : undefined;
  }

  async write(entry: Entry): Promise<void> {
    await writeFileAtomic(this.pathOf(entry.tenant, entry.key), JSON.stringify(entry));
  }

  /** Removes one entry; false when it was not there. */
  async remove(tenant: string, key: string): Promise<boolean> {
    try {
      await fs.unlink(this.pathOf(tenant, key));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  /** Removes every entry of a tenant (the entry directories; blobs/ and outbox/ beside them are other stores'); returns how many there were. */
  async removeTenant(tenant: string): Promise<number> {
    if (!KEY_PATTERN.test(tenant)) throw new Error(`invalid tenant ${tenant}`);
    let count = 0;
    for await (const _ of this.list(tenant)) count++;
    const dir = path.join(this.root, tenant);
    for (const prefix of (await dirNames(dir)).filter((p) => /^[0-9a-f]{2}$/.test(p))) await fs.rm(path.join(dir, prefix), { recursive: true, force: true });
    await removeIfEmpty(dir);
    return count;
  }

  /**
   * Marks an entry as just used: its file's mtime is the LRU clock shared by
   * every replica on this storage (the contents are never touched).
   */
  async touch(tenant: string, key: string, at = new Date()): Promise<void> {
    await fs.utimes(this.pathOf(tenant, key), at, at);
  }

  /** Every entry file (optionally one tenant's), in a stable order, with size and last use. */
  async *list(tenant?: string): AsyncGenerator<StoredFile> {
    const tenants = tenant ? [tenant] : await dirNames(this.root);
    for (const t of tenants.filter((n) => KEY_PATTERN.test(n))) {
      // Entry directories are the key's first two hex digits (blobs/ and outbox/ live beside them).
      for (const prefix of (await dirNames(path.join(this.root, t))).filter((p) => /^[0-9a-f]{2}$/.test(p))) {
        const dir = path.join(this.root, t, prefix);
        for (const name of await dirNames(dir)) {
          // Only entry files (<key>.json): temp files and anything else an operator left there are not entries.
          const key = name.endsWith('.json') ? name.slice(0, -5) : '';
          if (!KEY_PATTERN.test(key)) continue;
          const stat = await fs.stat(path.join(dir, name)).catch(() => undefined);
          if (stat) yield { tenant: t, key, bytes: stat.size, usedAt: stat.mtimeMs };
        }
      }
    }
  }

  /** A walk of every file: the mtime is the last write or use; there is no index to ask. */
  async *recent(since: number): AsyncGenerator<StoredFile> {
    for await (const file of this.list()) if (file.usedAt >= since) yield file;
  }

  /** Probe used by /ready: the root exists (created if needed) and is writable. */
  async checkWritable(): Promise<void> {
    await fs.mkdir(this.root, { recursive: true });
    await fs.access(this.root, fs.constants.W_OK);
  }
}

/** A directory's names, sorted (none when it does not exist). */
async function dirNames(dir: string): Promise<string[]> {
  return (await namesIn(dir)).sort();
}
