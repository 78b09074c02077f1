/**
 * The entry store: where cached answers live, durably. Two adapters: files
 * (fileEntryStore.ts: the embedded default, one shared directory) and
 * PostgreSQL (pgEntryStore.ts, REFLEX_DATABASE_URL: replicas on any host).
 */
import type { Entry } from './entry';

export const KEY_PATTERN = /^[0-9a-f]{16,64}$/;

export interface EntryStore {
  read(tenant: string, key: string): Promise<Entry | undefined>;
  /** Stores (or replaces) an entry durably. */
  write(entry: Entry): Promise<void>;
  /** Removes one entry; false when it was not there. */
  remove(tenant: string, key: string): Promise<boolean>;
  /** Removes every entry of a tenant (its entries only: blobs and outbox records are their stores' own); returns how many there were. */
  removeTenant(tenant: string): Promise<number>;
  /** Marks an entry as just used: the LRU clock every replica shares. */
  touch(tenant: string, key: string, at?: Date): Promise<void>;
  /** Every entry (optionally one tenant's), in a stable order, with size and last use. */
  list(tenant?: string): AsyncGenerator<StoredFile>;
  /** Entries written or used at or after `since` (ms): what the index repair checks (ops/indexRepair). */
  recent(since: number): AsyncGenerator<StoredFile>;
  /** Probe used by /ready: the store can be written. */
  checkWritable(): Promise<void>;
}


export interface StoredFile {
  tenant: string;
  key: string;
  bytes: number;
  /** Last write or use (file mtime), in ms. */
  usedAt: number;
}
