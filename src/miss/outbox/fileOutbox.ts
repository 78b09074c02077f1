/** The outbox in files: <root>/<tenant>/outbox/<key>.json beside the entries, written atomically like them. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { namesIn, readIfExists, removeIfEmpty, writeFileAtomic } from '../../cache/storage/atomicFile';
import type { Outbox, OutboxRecord } from './outbox';

const HEX = /^[0-9a-f]{16,64}$/;
const OUTBOX_DIR = 'outbox';

export class FileOutbox implements Outbox {
  constructor(readonly root: string) {}

  private pathOf(tenant: string, key: string): string {
    if (!HEX.test(tenant) || !HEX.test(key)) throw new Error(`invalid outbox address ${tenant}/${key}`);
    return path.join(this.root, tenant, OUTBOX_DIR, `${key}.json`);
  }

  async write(record: OutboxRecord): Promise<void> {
    await writeFileAtomic(this.pathOf(record.tenant, record.key), JSON.stringify(record));
  }

  async read(tenant: string, key: string): Promise<OutboxRecord | undefined> {
    const text = await readIfExists(this.pathOf(tenant, key));
    return text === undefined ? undefined : (JSON.parse(text) as OutboxRecord);
  }

  async remove(tenant: string, key: string): Promise<void> {
    await fs.unlink(this.pathOf(tenant, key)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  /** A shared directory has no claims: two drainers may hand off one record, which its fill id makes one store. */
  claim(): AsyncGenerator<{ tenant: string; key: string }> {
    return this.list();
  }

  /** Every record's address, oldest tenant directory order first. */
  async *list(): AsyncGenerator<{ tenant: string; key: string }> {
    for (const tenant of (await names(this.root)).filter((t) => HEX.test(t))) {
      for (const name of await names(path.join(this.root, tenant, OUTBOX_DIR))) {
        if (name.endsWith('.json') && !name.startsWith('.')) yield { tenant, key: name.slice(0, -5) };
      }
    }
  }

  async removeTenant(tenant: string): Promise<void> {
    if (!HEX.test(tenant)) throw new Error(`invalid tenant ${tenant}`);
    await fs.rm(path.join(this.root, tenant, OUTBOX_DIR), { recursive: true, force: true });
    await removeIfEmpty(path.join(this.root, tenant));
  }
}

/** In name order (the outbox drains oldest first). */
const names = async (dir: string) => (await namesIn(dir)).sort();
