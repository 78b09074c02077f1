/**
 * The semantic index behind L2, as the cache sees it: one binary vector (the
 * sign bits of an entry's embedding) per (tenant, key), searched by HAMMING
 * distance within one tenant and context. Milvus serves it in production
 * (./milvus); ./memory is the same contract in-process, for the offline eval
 * and unit tests.
 */

/** Where an entry lives: the index never holds more than its address and filter fields. */
export interface EntryAddress {
  tenant: string;
  key: string;
}

export interface IndexRecord extends EntryAddress {
  model: string;
  /** Hash of everything but the last user turn; hex. */
  context: string;
  createdAt: number;
  /** Sign bits of the embedding (see ./signBits). */
  bits: Buffer;
}

export interface SearchFilter {
  tenant: string;
  context: string;
  /** With a TTL: skip entries created before this (ms), so expired ones take no shortlist slot. */
  createdAfter?: number;
}

export interface IndexHit extends EntryAddress {
  hamming: number;
}

export interface VectorIndex {
  upsert(records: IndexRecord[]): Promise<void>;
  /** The `limit` nearest records by HAMMING distance, nearest first. */
  search(bits: Buffer, filter: SearchFilter, limit: number): Promise<IndexHit[]>;
  delete(addresses: EntryAddress[]): Promise<void>;
  /** Which of these addresses the index holds (as `tenant/key`), read with strong consistency. */
  present(addresses: EntryAddress[]): Promise<Set<string>>;
  deleteTenant(tenant: string): Promise<void>;
  deleteCreatedBefore(ms: number): Promise<void>;
  /** Removes everything (reindex with a new model); the next call starts afresh. */
  drop(): Promise<void>;
  /** Readiness probe: throws when the index cannot answer. */
  check(): Promise<void>;
  close(): Promise<void>;
}

/** An address as present() names it. */
export const addressId = (a: EntryAddress) => `${a.tenant}/${a.key}`;

export class VectorIndexError extends Error {
  override name = 'VectorIndexError';
}
