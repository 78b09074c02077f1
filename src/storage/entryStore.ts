/**
 * Entries as one JSON file each under <root>/<tenant>/<key[0:2]>/<key>.json.
 * Writes are atomic (temp file, fsync, rename, fsync dir) so a reader or a
 * crash never sees half an entry; a file is never rewritten in place.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Entry, isEntry } from './entry';

const KEY_PATTERN = /^[0-9a-f]{16,64}$/;

export class EntryStore {
  constructor(readonly root: string) {}

  pathOf(tenant: string, key: string): string {
    if (!KEY_PATTERN.test(tenant) || !KEY_PATTERN.test(key)) throw new Error(`invalid entry address ${tenant}/${key}`);
    return path.join(this.root, tenant, key.slice(0, 2), `${key}.json`);
  }

  async read(tenant: string, key: string): Promise<Entry | undefined> {
    let text: string;
    try {
      text = await fs.readFile(this.pathOf(tenant, key), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const parsed: unknown = JSON.parse(text);
    return isEntry(parsed) ? parsed : undefined;
  }

  async write(entry: Entry): Promise<void> {
    const file = this.pathOf(entry.tenant, entry.key);
    const dir = path.dirname(file);
    await fs.mkdir(dir, { recursive: true });
    const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await fs.open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(JSON.stringify(entry));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
    await syncDir(dir);
  }

  /** Probe used by /ready: the root exists (created if needed) and is writable. */
  async checkWritable(): Promise<void> {
    await fs.mkdir(this.root, { recursive: true });
    await fs.access(this.root, fs.constants.W_OK);
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
