/**
 * The outbox: answers given while Temporal was unreachable, written durably
 * to the entry store (<root>/<tenant>/outbox/<key>.json, atomic like entries)
 * with everything the fill needs, so nothing answered is lost. A drainer
 * hands each record to the fill workflow once Temporal is back (store +
 * index, never a second provider call) and then removes it.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ProviderEndpoint } from '../../provider/provider';
import type { ChatCompletion } from '../../provider/wire';
import { namesIn, readIfExists, writeFileAtomic } from './atomicFile';

const HEX = /^[0-9a-f]{16,64}$/;
const OUTBOX_DIR = 'outbox';

export interface OutboxRecord {
  version: 1;
  /** Absent = chat completions. */
  endpoint?: ProviderEndpoint;
  tenant: string;
  key: string;
  context: string;
  model: string;
  semanticText: string;
  request: Record<string, unknown>;
  embedding?: number[];
  embedder?: string;
  requestId?: string;
  /** The gateway key's name for the Temporal UI (see temporal/fillLabels). */
  caller?: string;
  /** A refresh: its fill replaces the stored entry instead of keeping it. */
  replace?: boolean;
  answer: ChatCompletion;
  answeredAt: number;
}

export interface Outbox {
  write(record: OutboxRecord): Promise<void>;
  read(tenant: string, key: string): Promise<OutboxRecord | undefined>;
  remove(tenant: string, key: string): Promise<void>;
  /** Every record's address, oldest first where the store knows the order (copies, counts; claims nothing). */
  list(): AsyncGenerator<{ tenant: string; key: string }>;
  /** The records a drainer should hand off now; where workers share a store, ones no other drainer holds. */
  claim(): AsyncGenerator<{ tenant: string; key: string }>;
}

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
}

/** In name order (the outbox drains oldest first). */
const names = async (dir: string) => (await namesIn(dir)).sort();
