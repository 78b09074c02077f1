/** The configured PostgreSQL, migrated (under the advisory lock), or undefined when REFLEX_DATABASE_URL is unset. */
import type { Logger } from 'pino';
import type { Config } from '../config';
import { Database } from './database';

export async function connectDatabase(config: Config, log?: Logger): Promise<Database | undefined> {
  if (!config.databaseUrl) return undefined;
  const db = new Database(config.databaseUrl, log);
  try {
    const applied = await db.migrate();
    if (applied.length) log?.info({ applied }, 'postgres: migrations applied');
    return db;
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}
