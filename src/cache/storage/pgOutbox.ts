/**
 * The outbox in PostgreSQL (see outbox.ts): answers given while Temporal was
 * unreachable, durable as soon as the row is committed, so any replica's
 * worker can drain what another replica answered — even one that has died.
 */
import type { Database } from '../../postgres/database';
import type { Outbox, OutboxRecord } from './outbox';

export class PgOutbox implements Outbox {
  constructor(private readonly db: Database) {}

  async write(record: OutboxRecord): Promise<void> {
    await this.db.pool.query(
      `INSERT INTO outbox (tenant, key, record, answered_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant, key) DO UPDATE SET record = EXCLUDED.record, answered_at = EXCLUDED.answered_at`,
      [record.tenant, record.key, JSON.stringify(record), record.answeredAt]);
  }

  async read(tenant: string, key: string): Promise<OutboxRecord | undefined> {
    const { rows } = await this.db.pool.query<{ record: OutboxRecord }>('SELECT record FROM outbox WHERE tenant = $1 AND key = $2', [tenant, key]);
    return rows[0]?.record;
  }

  async remove(tenant: string, key: string): Promise<void> {
    await this.db.pool.query('DELETE FROM outbox WHERE tenant = $1 AND key = $2', [tenant, key]);
  }

  /**
   * Oldest answer first. Drainers on several workers may list the same record:
   * each hands it to the fill workflow under the same workflow id, so it is
   * stored once (and the provider is never called for it).
   */
  async *list(): AsyncGenerator<{ tenant: string; key: string }> {
    const { rows } = await this.db.pool.query<{ tenant: string; key: string }>('SELECT tenant, key FROM outbox ORDER BY answered_at, tenant, key LIMIT 10000');
    yield* rows;
  }
}
