/**
 * Entries in PostgreSQL (REFLEX_DATABASE_URL): one row per entry, the
 * embedding as float32 bytes beside the rest as brotli-compressed JSON
 * (`body`; rows written before migration 4 keep it as JSONB in `entry`),
 * `used_at` the LRU clock every replica shares. A tenant purge removes the tenant's entries,
 * blobs, run markers and outbox records in one transaction, as removing the
 * tenant's directory does for files.
 */
import { brotliCompressSync, brotliDecompressSync, constants as zlibConstants } from 'node:zlib';
import { Database, keysetPages, PAGE } from '../../postgres/database';
import type { Entry } from './entry';
import { isEntry } from './entry';
import { EntryStore, KEY_PATTERN, StoredFile } from './entryStore';

export class PgEntryStore implements EntryStore {
  constructor(private readonly db: Database) {}

  async read(tenant: string, key: string): Promise<Entry | undefined> {
    const { rows } = await this.db.pool.query<{ entry: Omit<Entry, 'embedding'> | null; body: Buffer | null; embedding: Buffer }>(
      'SELECT entry, body, embedding FROM entries WHERE tenant = $1 AND key = $2', [tenant, key]);
    const row = rows[0];
    if (!row) return undefined;
    const rest = row.body ? { ...JSON.parse(brotliDecompressSync(row.body).toString('utf8')), tenant, key } : row.entry;
    const entry: unknown = { ...rest, embedding: Array.from(floats(row.embedding)) };
    return isEntry(entry) ? entry : undefined;
  }

  async write(entry: Entry): Promise<void> {
    const { embedding, tenant, key, ...rest } = entry;
    const body = compress(JSON.stringify(rest));
    const vector = Buffer.from(Float32Array.from(embedding).buffer);
    await this.db.pool.query(
      `INSERT INTO entries (tenant, key, body, embedding, bytes) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant, key) DO UPDATE SET entry = NULL, body = EXCLUDED.body, embedding = EXCLUDED.embedding, bytes = EXCLUDED.bytes, used_at = now()`,
      [tenant, key, body, vector, body.length + vector.length]);
  }

  async remove(tenant: string, key: string): Promise<boolean> {
    return ((await this.db.pool.query('DELETE FROM entries WHERE tenant = $1 AND key = $2', [tenant, key])).rowCount ?? 0) > 0;
  }

  removeTenant(tenant: string): Promise<number> {
    if (!KEY_PATTERN.test(tenant)) throw new Error(`invalid tenant ${tenant}`);
    return this.db.pool.query('DELETE FROM entries WHERE tenant = $1', [tenant]).then((r) => r.rowCount ?? 0);
  }

  async touch(tenant: string, key: string, at = new Date()): Promise<void> {
    await this.db.pool.query('UPDATE entries SET used_at = $3 WHERE tenant = $1 AND key = $2', [tenant, key, at]);
  }

  /** Keyset pages in (tenant, key) order: the sweeper and reindex walk every entry without holding them all. */
  async *list(tenant?: string): AsyncGenerator<StoredFile> {
    type Row = { tenant: string; key: string; bytes: number; used_at: Date };
    const pages = keysetPages<Row>(async (last) => (await this.db.pool.query<Row>(
      `SELECT tenant, key, bytes, used_at FROM entries
       WHERE (tenant, key) > ($1, $2) AND ($3::text IS NULL OR tenant = $3) ORDER BY tenant, key LIMIT ${PAGE}`,
      [last?.tenant ?? tenant ?? '', last?.key ?? '', tenant ?? null])).rows);
    for await (const r of pages) yield { tenant: r.tenant, key: r.key, bytes: r.bytes, usedAt: r.used_at.getTime() };
  }

  /** Keyset pages in used_at order, on the used_at index: cheap however many older entries there are. */
  async *recent(since: number): AsyncGenerator<StoredFile> {
    type Row = { tenant: string; key: string; bytes: number; used_at: Date };
    const pages = keysetPages<Row>(async (last) => (await this.db.pool.query<Row>(
      `SELECT tenant, key, bytes, used_at FROM entries WHERE (used_at, tenant, key) > ($1, $2, $3) ORDER BY used_at, tenant, key LIMIT ${PAGE}`,
      [last?.used_at ?? new Date(since - 1), last?.tenant ?? '', last?.key ?? ''])).rows);
    for await (const r of pages) yield { tenant: r.tenant, key: r.key, bytes: r.bytes, usedAt: r.used_at.getTime() };
  }

  async checkWritable(): Promise<void> {
    await this.db.pool.query('SELECT 1');
  }
}

/**
 * Brotli at quality 5 with a 4 KB window: as small as quality 9 on an
 * answer-sized JSON (~0.5×), ~80 µs; the default 4 MB window alone cost ~2 ms
 * a call, and quality 11 ~2 ms for 10% less (BENCHMARKS.md, scale).
 */
const BROTLI = { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 5, [zlibConstants.BROTLI_PARAM_LGWIN]: 12 } };
const compress = (json: string) => brotliCompressSync(json, BROTLI);

/** A bytea's float32 values (the Buffer may sit at any offset of a shared pool, so copy when unaligned). */
export function floats(bytes: Buffer): Float32Array {
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : Buffer.from(bytes);
  return new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
}
