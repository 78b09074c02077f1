/**
 * Gateway keys as files: one JSON file per key under REFLEX_KEYS_PATH, named
 * by the sha256 of the secret. Every API replica reads the same directory.
 * Revoking deletes the file, and each request stats its key's file (a few
 * microseconds, no extra I/O when unchanged), so a revoked key stops working
 * at once on every replica; parsed files are cached until the file changes. Files are
 * written atomically with the entry store's helper.
 */
import { promises as fs, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { syncDir, writeFileAtomic } from '../cache/storage/atomicFile';
import type { KeyOptions } from './keyOptions';
import { byCreation, checkKeyHash, GatewayKey, hashOf, KEY_ID, KeyStore, newKey, parseKey, StoredKey } from './keyStore';

export class FileKeyStore implements KeyStore {
  private readonly parsed = new Map<string, { version: string; key: GatewayKey }>();

  constructor(readonly dir: string) {}

  async create(options: KeyOptions, now = new Date()): Promise<{ key: GatewayKey; secret: string }> {
    const { key, secret, hash } = newKey(options, now);
    await writeFileAtomic(this.fileOf(hash), JSON.stringify(key));
    return { key, secret };
  }

  /**
   * Synchronous on purpose: one stat per request (~5 µs) where an async stat
   * costs a thread-pool round trip (~70 µs); the file is read again only when
   * it changed. A change is a new inode (every write renames a new file into
   * place), which the mtime alone misses: file times tick in jiffies, so two
   * writes a few milliseconds apart can share one.
   */
  find(secret: string): GatewayKey | undefined {
    const hash = hashOf(secret);
    const file = this.fileOf(hash);
    const stat = statSync(file, { throwIfNoEntry: false });
    if (!stat) {
      this.parsed.delete(hash);
      return undefined;
    }
    const version = `${stat.ino}:${stat.mtimeMs}`;
    const cached = this.parsed.get(hash);
    if (cached?.version === version) return cached.key;
    const key = parseKey(readFileSync(file, 'utf8'));
    if (key) this.parsed.set(hash, { version, key });
    return key;
  }

  async list(): Promise<GatewayKey[]> {
    return (await this.files()).map((f) => f.key).sort(byCreation);
  }

  async remove(id: string): Promise<boolean> {
    if (!KEY_ID.test(id)) return false;
    const found = (await this.files()).find((f) => f.key.id === id);
    if (!found) return false;
    await fs.rm(found.file, { force: true });
    await syncDir(this.dir);
    return true;
  }

  async exportAll(): Promise<StoredKey[]> {
    return (await this.files()).map((f) => ({ hash: path.basename(f.file, '.json'), key: f.key })).sort((a, b) => a.hash.localeCompare(b.hash));
  }

  async importKey({ hash, key }: StoredKey): Promise<void> {
    checkKeyHash(hash);
    await writeFileAtomic(this.fileOf(hash), JSON.stringify(key));
  }

  private fileOf(hash: string): string {
    return path.join(this.dir, `${hash}.json`);
  }

  private async files(): Promise<{ file: string; key: GatewayKey }[]> {
    const names = await fs.readdir(this.dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[];
      throw err;
    });
    const found: { file: string; key: GatewayKey }[] = [];
    for (const name of names.filter((n) => /^[0-9a-f]{64}\.json$/.test(n))) {
      const file = path.join(this.dir, name);
      const key = parseKey(await fs.readFile(file, 'utf8').catch(() => ''));
      if (key) found.push({ file, key });
    }
    return found;
  }
}
