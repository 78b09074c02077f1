/**
 * The key store the config selects: PostgreSQL when REFLEX_DATABASE_URL is
 * set (shared by replicas on any host), else files under REFLEX_KEYS_PATH.
 */
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Database } from '../postgres/database';
import { FileKeyStore } from './fileKeyStore';
import type { KeyStore } from './keyStore';
import { PgKeyStore } from './pgKeyStore';

export function openKeyStore(config: Config, db: Database | undefined, log?: Logger): Promise<KeyStore> {
  return db ? PgKeyStore.open(db, config.auth.keysRefreshMs, log) : Promise.resolve(new FileKeyStore(config.auth.keysPath));
}
