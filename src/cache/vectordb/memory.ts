/**
 * The VectorIndex contract in process memory: an exact HAMMING scan per
 * (tenant, context). It makes the same shortlist Milvus' BIN_FLAT makes (ties
 * broken by insertion order), so the offline eval and unit tests drive the
 * real L2 code without a Milvus server.
 */
import type { EntryAddress, IndexHit, IndexRecord, SearchFilter, VectorIndex } from './index';
import { hamming } from './signBits';

interface Stored {
  record: IndexRecord;
  seq: number;
}

const addressOf = (a: EntryAddress) => `${a.tenant}/${a.key}`;

export class MemoryIndex implements VectorIndex {
  private readonly records = new Map<string, Stored>();
  private seq = 0;

  async upsert(records: IndexRecord[]): Promise<void> {
    for (const record of records) {
      const id = addressOf(record);
      this.records.set(id, { record, seq: this.records.get(id)?.seq ?? this.seq++ });
    }
  }

  async search(bits: Buffer, filter: SearchFilter, limit: number): Promise<IndexHit[]> {
    const pool: { hit: IndexHit; seq: number }[] = [];
    for (const { record, seq } of this.records.values()) {
      if (record.tenant !== filter.tenant || record.context !== filter.context) continue;
      if (filter.createdAfter !== undefined && record.createdAt < filter.createdAfter) continue;
      pool.push({ hit: { tenant: record.tenant, key: record.key, hamming: hamming(bits, record.bits) }, seq });
    }
    return pool
      .sort((a, b) => a.hit.hamming - b.hit.hamming || a.seq - b.seq)
      .slice(0, limit)
      .map((p) => p.hit);
  }

  async delete(addresses: EntryAddress[]): Promise<void> {
    for (const a of addresses) this.records.delete(addressOf(a));
  }

  async present(addresses: EntryAddress[]): Promise<Set<string>> {
    return new Set(addresses.map(addressOf).filter((id) => this.records.has(id)));
  }

  async deleteTenant(tenant: string): Promise<void> {
    this.deleteWhere((r) => r.tenant === tenant);
  }

  async deleteCreatedBefore(ms: number): Promise<void> {
    this.deleteWhere((r) => r.createdAt < ms);
  }

  async drop(): Promise<void> {
    this.records.clear();
  }

  async check(): Promise<void> {}

  async close(): Promise<void> {}

  get size(): number {
    return this.records.size;
  }

  private deleteWhere(match: (r: IndexRecord) => boolean): void {
    for (const [id, { record }] of this.records) if (match(record)) this.records.delete(id);
  }
}
