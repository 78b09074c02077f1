/**
 * The outbox in PostgreSQL (see outbox.ts): answers given while Temporal was
 * unreachable, durable as soon as the row is committed, so any replica's
 * worker can drain what another replica answered — even one that has died.
 * Writing a record again clears its claim.
 */
import { Database, keysetPages, PAGE } from '../../postgres/database';
import type { Outbox, OutboxRecord } from './outbox';

export class PgOutbox implements Outbox {
  constructor(private readonly db: Database) {}

  async write(record: OutboxRecord): Promise<void> {
    await this.db.pool.query(
      `INSERT INTO outbox (tenant, key, record, answered_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant, key) DO UPDATE SET record = EXCLUDED.record, answered_at = EXCLUDED.answered_at, claimed_until = NULL`,
      [record.tenant, record.key, JSON.stringify(record), record.answeredAt]);
  }

  async read(tenant: string, key: string): Promise<OutboxRecord | undefined> {
    const { rows } = await this.db.pool.query<{ record: OutboxRecord }>('SELECT record FROM outbox WHERE tenant = $1 AND key = $2', [tenant, key]);
    return rows[0]?.record;
  }

  async remove(tenant: string, key: string): Promise<void> {
    await this.db.pool.query('DELETE FROM outbox WHERE tenant = $1 AND key = $2', [tenant, key]);
  }

  /** Every record, oldest answer first, in keyset pages (no claims: `reflex migrate-store` copies with this). */
  async *list(): AsyncGenerator<{ tenant: string; key: string }> {
    type Row = { tenant: string; key: string; answered_at: string };
    const pages = keysetPages<Row>(async (last) => (await this.db.pool.query<Row>(
      `SELECT tenant, key, answered_at FROM outbox WHERE (answered_at, tenant, key) > ($1::bigint, $2, $3)
       ORDER BY answered_at, tenant, key LIMIT ${PAGE}`,
      [last?.answered_at ?? '-1', last?.tenant ?? '', last?.key ?? ''])).rows);
    for await (const { tenant, key } of pages) yield { tenant, key };
  }

  /**
   * Oldest answer first, claimed for this drainer: workers draining at once
   * get disjoint records (FOR UPDATE SKIP LOCKED), and a claim lapses after
   * CLAIM_SECONDS so a drainer that died mid-way leaves nothing stuck.
   */
  async *claim(): AsyncGenerator<{ tenant: string; key: string }> {
    const { rows } = await this.db.pool.query<{ tenant: string; key: string; answered_at: string }>(
      `UPDATE outbox SET claimed_until = now() + make_interval(secs => ${CLAIM_SECONDS})
       WHERE (tenant, key) IN (
         SELECT tenant, key FROM outbox WHERE claimed_until IS NULL OR claimed_until < now()
         ORDER BY answered_at, tenant, key LIMIT ${PAGE} FOR UPDATE SKIP LOCKED)
       RETURNING tenant, key, answered_at`);
    // RETURNING keeps no order: sort again.
    rows.sort((a, b) => Number(a.answered_at) - Number(b.answered_at));
    yield* rows.map(({ tenant, key }) => ({ tenant, key }));
  }

  async removeTenant(tenant: string): Promise<void> {
    await this.db.pool.query('DELETE FROM outbox WHERE tenant = $1', [tenant]);
  }
}

/** How long a drainer holds what it claimed; a hand-off to the fill workflow takes well under a second. */
const CLAIM_SECONDS = 60;
