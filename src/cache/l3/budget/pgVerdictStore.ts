/**
 * Verdicts in PostgreSQL (table `verdicts`, migration 5): one row per
 * verdict id (a retried append changes nothing), read on from the row's
 * sequence number: the cursor.
 */
import type { Database } from '../../../postgres/database';
import { assertTenant, type Verdict, type VerdictPage, type VerdictStore } from './verdicts';

/** Rows per read; a reader behind by more catches up over its next reads. */
const PAGE = 10_000;

export class PgVerdictStore implements VerdictStore {
  constructor(private readonly db: Database) {}

  async append(verdict: Verdict): Promise<void> {
    assertTenant(verdict.tenant);
    await this.db.pool.query('INSERT INTO verdicts (id, tenant, verdict) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING', [verdict.id, verdict.tenant, JSON.stringify(verdict)]);
  }

  async read(tenant: string, cursor?: string): Promise<VerdictPage> {
    assertTenant(tenant);
    const from = cursor ?? '0';
    const { rows } = await this.db.pool.query<{ seq: string; verdict: Verdict }>(
      'SELECT seq, verdict FROM verdicts WHERE tenant = $1 AND seq > $2 ORDER BY seq LIMIT $3', [tenant, from, PAGE]);
    return { verdicts: rows.map((r) => r.verdict), cursor: rows.at(-1)?.seq ?? from };
  }

  async tenants(): Promise<string[]> {
    const { rows } = await this.db.pool.query<{ tenant: string }>('SELECT DISTINCT tenant FROM verdicts');
    return rows.map((r) => r.tenant);
  }

  async removeTenant(tenant: string): Promise<void> {
    assertTenant(tenant);
    await this.db.pool.query('DELETE FROM verdicts WHERE tenant = $1', [tenant]);
  }
}
