/** Stored vectors in files: <root>/<tenant>/<key[0:2]>/<key>.json, written atomically. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { namesIn as names, readIfExists, writeFileAtomic } from '../storage/atomicFile';
import { VECTOR_ADDRESS, type StoredVector, type StoredVectorFile, type VectorBackend } from './vectorStore';

/** Vectors as files; a file's mtime is its recency. */
export class FileVectors implements VectorBackend {
  constructor(readonly root: string) {}

  pathOf(tenant: string, key: string): string {
    if (!VECTOR_ADDRESS.test(tenant) || !VECTOR_ADDRESS.test(key)) throw new Error(`invalid vector address ${tenant}/${key}`);
    return path.join(this.root, tenant, key.slice(0, 2), `${key}.json`);
  }

  async read(tenant: string, key: string): Promise<StoredVector | undefined> {
    const text = await readIfExists(this.pathOf(tenant, key));
    return text === undefined ? undefined : (JSON.parse(text) as StoredVector);
  }

  async write(tenant: string, key: string, stored: StoredVector): Promise<void> {
    await writeFileAtomic(this.pathOf(tenant, key), JSON.stringify(stored));
  }

  remove(tenant: string, key: string): Promise<boolean> {
    return fs.unlink(this.pathOf(tenant, key)).then(
      () => true,
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return false;
        throw err;
      },
    );
  }

  async removeTenant(tenant: string): Promise<void> {
    await fs.rm(path.join(this.root, tenant), { recursive: true, force: true });
  }

  async touch(tenant: string, key: string, at: Date): Promise<void> {
    await fs.utimes(this.pathOf(tenant, key), at, at);
  }

  async *list(): AsyncGenerator<StoredVectorFile> {
    for (const tenant of await names(this.root)) {
      if (!VECTOR_ADDRESS.test(tenant)) continue;
      for (const prefix of await names(path.join(this.root, tenant))) {
        for (const name of await names(path.join(this.root, tenant, prefix))) {
          const key = name.endsWith('.json') ? name.slice(0, -5) : '';
          if (!VECTOR_ADDRESS.test(key)) continue;
          const stat = await fs.stat(path.join(this.root, tenant, prefix, name)).catch(() => undefined);
          if (stat) yield { tenant, key, usedAt: stat.mtimeMs };
        }
      }
    }
  }
}
