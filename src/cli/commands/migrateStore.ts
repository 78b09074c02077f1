/**
 * `reflex migrate-store --from files --to postgres` (or the reverse): copies
 * entries, outbox records, stored embeddings and gateway keys between the
 * files under REFLEX_HOME and the PostgreSQL of REFLEX_DATABASE_URL, with a
 * progress bar on stderr and a summary as JSON on stdout. Never calls the
 * provider; idempotent and resumable (src/ops/migrateStore.ts).
 */
import { Presets, SingleBar } from 'cli-progress';
import path from 'node:path';
import { FileKeyStore } from '../../auth/fileKeyStore';
import { PgKeyStore } from '../../auth/pgKeyStore';
import { FileEntryStore } from '../../cache/storage/entryStore';
import { FileOutbox } from '../../cache/storage/outbox';
import { PgEntryStore } from '../../cache/storage/pgEntryStore';
import { PgOutbox } from '../../cache/storage/pgOutbox';
import { PgVectors } from '../../cache/vectors/pgVectors';
import { FileVectors } from '../../cache/vectors/vectorStore';
import { ConfigError, type Config } from '../../config';
import { MigrateProgress, migrateStore, StateStores } from '../../ops/migrateStore';
import { Database } from '../../postgres/database';

export type StoreKind = 'files' | 'postgres';

export async function migrateStoreCommand(config: Config, opts: { from: StoreKind; to: StoreKind; restart: boolean }): Promise<void> {
  if (opts.from === opts.to) throw new ConfigError(`--from and --to are both ${opts.from}: nothing to move`);
  if (!config.databaseUrl) throw new ConfigError('REFLEX_DATABASE_URL is not set: it names the PostgreSQL side of the move');
  const db = new Database(config.databaseUrl);
  try {
    await db.migrate();
    const stores = { files: filesOf(config), postgres: await postgresOf(db, config) };
    const checkpoint = path.join(config.dataDir, `migrate-store-${opts.from}-to-${opts.to}.json`);
    const summary = await migrateStore(stores[opts.from], stores[opts.to], checkpoint, progressBar(), opts.restart);
    await stores.postgres.keys.close?.();
    process.stdout.write(`${JSON.stringify({ command: 'migrate-store', from: opts.from, to: opts.to, ...summary })}\n`);
  } finally {
    await db.close();
  }
}

function filesOf(config: Config): StateStores {
  return {
    entries: new FileEntryStore(config.storagePath),
    outbox: new FileOutbox(config.storagePath),
    vectors: new FileVectors(config.embeddingsPath),
    keys: new FileKeyStore(config.auth.keysPath),
  };
}

async function postgresOf(db: Database, config: Config): Promise<StateStores> {
  return { entries: new PgEntryStore(db), outbox: new PgOutbox(db), vectors: new PgVectors(db), keys: await PgKeyStore.open(db, config.auth.keysRefreshMs) };
}

function progressBar(): MigrateProgress {
  const bar = new SingleBar({ format: 'migrate-store {phase} [{bar}] {value}/{total}', stream: process.stderr }, Presets.shades_classic);
  let started = false;
  return {
    phase: (phase, total) => {
      if (started) bar.stop();
      bar.start(total, 0, { phase });
      started = true;
    },
    advance: () => bar.increment(),
    done: () => started && bar.stop(),
  };
}
