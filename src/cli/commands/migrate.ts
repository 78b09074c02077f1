/**
 * `reflex migrate`: applies the PostgreSQL schema (REFLEX_DATABASE_URL). API
 * replicas also apply it at start, under the same advisory lock, so running
 * this first is optional — it lets a deploy fail on a schema problem before
 * any replica is replaced. Prints what was applied, as JSON.
 */
import { ConfigError, type Config } from '../../config';
import { Database } from '../../postgres/database';
import { MIGRATIONS } from '../../postgres/migrations';

export async function migrateCommand(config: Config): Promise<void> {
  if (!config.databaseUrl) throw new ConfigError('REFLEX_DATABASE_URL is not set: the embedded default keeps its state in files and has nothing to migrate');
  const db = new Database(config.databaseUrl);
  try {
    const applied = await db.migrate();
    process.stdout.write(`${JSON.stringify({ applied, latest: MIGRATIONS.at(-1)?.version ?? 0 }, null, 2)}\n`);
  } finally {
    await db.close();
  }
}
