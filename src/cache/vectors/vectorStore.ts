/**
 * Stored embedding vectors (the /v1/embeddings cache), with an in-process LRU
 * in front of a backend: small JSON files (fileVectors.ts) or PostgreSQL
 * (pgVectors.ts).
 * A vector is stored as its float32 bytes, so both encodings render from the
 * exact same numbers. REFLEX_TTL applies: an expired vector is fetched again
 * (and overwritten), never served.
 */
import { LRUCache } from 'lru-cache';
import { Expiry, NEVER_EXPIRES } from '../storage/expiry';

export const VECTOR_ADDRESS = /^[0-9a-f]{16,64}$/;
export const VECTOR_FORMAT_VERSION = 1;

export interface StoredVector {
  version: typeof VECTOR_FORMAT_VERSION;
  /** The model name the provider answered with. */
  model: string;
  /** Little-endian float32 bytes, base64 (OpenAI's own base64 encoding). */
  vector: string;
  /** Input tokens this item cost; `tokensExact` false when apportioned from a batch's total. */
  tokens: number;
  tokensExact: boolean;
  createdAt: number;
}

/** A stored vector's address and when it was last written or used. */
export interface StoredVectorFile {
  tenant: string;
  key: string;
  usedAt: number;
}

/** Where vectors are kept; the store adds the memory, expiry and recency on top. */
export interface VectorBackend {
  read(tenant: string, key: string): Promise<StoredVector | undefined>;
  write(tenant: string, key: string, stored: StoredVector): Promise<void>;
  /** False when it was already gone. */
  remove(tenant: string, key: string): Promise<boolean>;
  removeTenant(tenant: string): Promise<void>;
  /** Marks a vector as used now (the sweeper's recency clock). */
  touch(tenant: string, key: string, at: Date): Promise<void>;
  list(): AsyncGenerator<StoredVectorFile>;
}

/** How often a hit refreshes a vector's recency, the sweeper's clock (as entries do). */
const TOUCH_EVERY_MS = 60_000;

export class VectorStore {
  private readonly memory: LRUCache<string, StoredVector>;
  private readonly touched: LRUCache<string, number>;

  constructor(private readonly backend: VectorBackend, capacity: number, private readonly expiry: Expiry = NEVER_EXPIRES) {
    this.memory = new LRUCache({ max: capacity });
    this.touched = new LRUCache({ max: capacity });
  }

  async get(tenant: string, key: string): Promise<StoredVector | undefined> {
    const id = `${tenant}:${key}`;
    let found = this.memory.get(id);
    if (!found) {
      const stored = await this.backend.read(tenant, key);
      if (stored?.version !== VECTOR_FORMAT_VERSION || typeof stored.vector !== 'string') return undefined;
      this.memory.set(id, (found = stored));
    }
    if (this.expiry.isExpired(found)) {
      this.memory.delete(id);
      return undefined;
    }
    this.touch(tenant, key, id);
    return found;
  }

  /** A hit marks the vector used (at most once a minute per vector), so the sweeper evicts the least recently used. */
  private touch(tenant: string, key: string, id: string): void {
    const now = Date.now();
    if (now - (this.touched.get(id) ?? 0) < TOUCH_EVERY_MS) return;
    this.touched.set(id, now);
    void this.backend.touch(tenant, key, new Date(now)).catch(() => undefined);
  }

  /** Every stored vector, with its recency; for the sweeper. */
  list(): AsyncGenerator<StoredVectorFile> {
    return this.backend.list();
  }

  /** Removes one stored vector; false when it was already gone. */
  async remove(tenant: string, key: string): Promise<boolean> {
    this.memory.delete(`${tenant}:${key}`);
    return this.backend.remove(tenant, key);
  }

  async put(tenant: string, key: string, stored: StoredVector): Promise<void> {
    await this.backend.write(tenant, key, stored);
    this.memory.set(`${tenant}:${key}`, stored);
    this.touched.set(`${tenant}:${key}`, Date.now());
  }

  /** Removes every stored vector of a tenant (the tenant purge's activity calls it). */
  async removeTenant(tenant: string): Promise<void> {
    if (!VECTOR_ADDRESS.test(tenant)) throw new Error(`invalid tenant ${tenant}`);
    await this.backend.removeTenant(tenant);
    this.forgetTenant(tenant);
  }

  /** Forgets a tenant's vectors in this process's memory (an API after a purge another process ran). */
  forgetTenant(tenant: string): void {
    for (const id of this.memory.keys()) if (id.startsWith(`${tenant}:`)) this.memory.delete(id);
  }
}
