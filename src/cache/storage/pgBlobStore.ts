/**
 * Claim-check blobs and fill-run markers in PostgreSQL (see blobStore.ts for
 * what they are). Writing the same content again only refreshes its time, so
 * the sweep (by age) keeps what a running fill still needs.
 */
import type { Database } from '../../postgres/database';
import { ContentAddressedBlobs, REF, refOf } from './blobStore';

export class PgBlobStore extends ContentAddressedBlobs {
  constructor(private readonly db: Database) {
    super();
  }

  protected async read(tenant: string, ref: string): Promise<string | undefined> {
    const { rows } = await this.db.pool.query<{ data: string }>('SELECT data FROM blobs WHERE tenant = $1 AND ref = $2', [tenant, ref]);
    return rows[0]?.data;
  }

  async markRun(tenant: string, run: string, answerRef: string): Promise<void> {
    if (!REF.test(answerRef)) throw new Error(`invalid blob reference ${answerRef}`);
    await this.db.pool.query(
      `INSERT INTO fill_runs (tenant, run, answer_ref) VALUES ($1, $2, $3)
       ON CONFLICT (tenant, run) DO UPDATE SET answer_ref = EXCLUDED.answer_ref, written_at = now()`,
      [tenant, refOf(run), answerRef]);
  }

  async runAnswer(tenant: string, run: string): Promise<string | undefined> {
    const { rows } = await this.db.pool.query<{ answer_ref: string }>('SELECT answer_ref FROM fill_runs WHERE tenant = $1 AND run = $2', [tenant, refOf(run)]);
    return rows[0]?.answer_ref;
  }

  protected removeOlder(before: number): Promise<number> {
    return this.db.transaction(async (client) => {
      let removed = 0;
      for (const table of ['blobs', 'fill_runs']) removed += (await client.query(`DELETE FROM ${table} WHERE written_at < to_timestamp($1 / 1000.0)`, [before])).rowCount ?? 0;
      return removed;
    });
  }

  protected removeAll(tenant: string): Promise<void> {
    return this.db.transaction(async (client) => {
      for (const table of ['blobs', 'fill_runs']) await client.query(`DELETE FROM ${table} WHERE tenant = $1`, [tenant]);
    });
  }

  async findAnyTenant<T>(ref: string): Promise<T | undefined> {
    const { rows } = await this.db.pool.query<{ data: string }>('SELECT data FROM blobs WHERE ref = $1 LIMIT 1', [ref]);
    return rows[0] ? (JSON.parse(rows[0].data) as T) : undefined;
  }

  protected async write(tenant: string, ref: string, data: string): Promise<void> {
    await this.db.pool.query(
      'INSERT INTO blobs (tenant, ref, data) VALUES ($1, $2, $3) ON CONFLICT (tenant, ref) DO UPDATE SET written_at = now()',
      [tenant, ref, data]);
  }
}
