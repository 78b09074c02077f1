/** Stored embedding vectors in PostgreSQL (REFLEX_DATABASE_URL), behind VectorStore's memory and expiry. */
import { Database, keysetPages, PAGE } from '../../postgres/database';
import type { StoredVector, StoredVectorFile, VectorBackend } from './vectorStore';

export class PgVectors implements VectorBackend {
  constructor(private readonly db: Database) {}

  async read(tenant: string, key: string): Promise<StoredVector | undefined> {
    const { rows } = await this.db.pool.query<{ stored: StoredVector }>('SELECT stored FROM embeddings WHERE tenant = $1 AND key = $2', [tenant, key]);
    return rows[0]?.stored;
  }

  async write(tenant: string, key: string, stored: StoredVector): Promise<void> {
    await this.db.pool.query(
      `INSERT INTO embeddings (tenant, key, stored) VALUES ($1, $2, $3)
       ON CONFLICT (tenant, key) DO UPDATE SET stored = EXCLUDED.stored, used_at = now()`,
      [tenant, key, JSON.stringify(stored)]);
  }

  async remove(tenant: string, key: string): Promise<boolean> {
    return ((await this.db.pool.query('DELETE FROM embeddings WHERE tenant = $1 AND key = $2', [tenant, key])).rowCount ?? 0) > 0;
  }

  async removeTenant(tenant: string): Promise<void> {
    await this.db.pool.query('DELETE FROM embeddings WHERE tenant = $1', [tenant]);
  }

  async touch(tenant: string, key: string, at: Date): Promise<void> {
    await this.db.pool.query('UPDATE embeddings SET used_at = $3 WHERE tenant = $1 AND key = $2', [tenant, key, at]);
  }

  async *list(): AsyncGenerator<StoredVectorFile> {
    type Row = { tenant: string; key: string; used_at: Date };
    const pages = keysetPages<Row>(async (last) => (await this.db.pool.query<Row>(
      `SELECT tenant, key, used_at FROM embeddings WHERE (tenant, key) > ($1, $2) ORDER BY tenant, key LIMIT ${PAGE}`,
      [last?.tenant ?? '', last?.key ?? ''])).rows);
    for await (const r of pages) yield { tenant: r.tenant, key: r.key, usedAt: r.used_at.getTime() };
  }
}
