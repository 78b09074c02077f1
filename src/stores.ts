/**
 * Every store the gateway keeps state in, opened one way by every process and
 * command: files under REFLEX_HOME (the embedded default), or PostgreSQL
 * (REFLEX_DATABASE_URL: replicas on any host), migrated on open. `reflex
 * migrate-store` opens both kinds by name. Each store is an adapter behind
 * its port and touches only its own files or tables.
 */
import type { Logger } from 'pino';
import { FileKeyStore } from './auth/fileKeyStore';
import type { KeyStore } from './auth/keyStore';
import { PgKeyStore } from './auth/pgKeyStore';
import type { BlobStore } from './cache/storage/blobStore';
import type { EntryStore } from './cache/storage/entryStore';
import { FileBlobStore } from './cache/storage/fileBlobStore';
import { FileEntryStore } from './cache/storage/fileEntryStore';
import { PgBlobStore } from './cache/storage/pgBlobStore';
import { PgEntryStore } from './cache/storage/pgEntryStore';
import { FileVectors } from './cache/vectors/fileVectors';
import { PgVectors } from './cache/vectors/pgVectors';
import type { VectorBackend } from './cache/vectors/vectorStore';
import { ConfigError, type Config } from './config';
import { FileOutbox } from './miss/outbox/fileOutbox';
import type { Outbox } from './miss/outbox/outbox';
import { PgOutbox } from './miss/outbox/pgOutbox';
import { Database } from './postgres/database';
import { FileVerdictStore } from './cache/l3/budget/fileVerdictStore';
import { PgVerdictStore } from './cache/l3/budget/pgVerdictStore';
import type { VerdictStore } from './cache/l3/budget/verdicts';
import path from 'node:path';

export type StoreKind = 'files' | 'postgres';

export interface Stores {
  kind: StoreKind;
  /** The PostgreSQL connection (postgres only): leases, leadership and fleet numbers use it too. */
  database?: Database;
  entries: EntryStore;
  blobs: BlobStore;
  outbox: Outbox;
  /** Stored /v1/embeddings vectors. */
  vectors: VectorBackend;
  /** Audited semantic hits' verdicts (issue 28). */
  verdicts: VerdictStore;
  /** The gateway keys; opened on first use (in PostgreSQL it holds a listener connection). */
  keys(): Promise<KeyStore>;
  /** Every store of a tenant emptied (an admin purge), each its own. */
  removeTenant(tenant: string): Promise<number>;
  close(): Promise<void>;
}

/** The configured stores: PostgreSQL when REFLEX_DATABASE_URL is set, else files; `kind` names one (migrate-store). */
export async function openStores(config: Config, log?: Logger, kind: StoreKind = config.databaseUrl ? 'postgres' : 'files'): Promise<Stores> {
  if (kind === 'files') return fileStores(config);
  if (!config.databaseUrl) throw new ConfigError('REFLEX_DATABASE_URL is not set: it names the PostgreSQL stores');
  return postgresStores(config, await connected(config.databaseUrl, log), log);
}

function fileStores(config: Config): Stores {
  const entries = new FileEntryStore(config.storagePath);
  const blobs = new FileBlobStore(config.storagePath);
  const outbox = new FileOutbox(config.storagePath);
  const vectors = new FileVectors(config.embeddingsPath);
  const verdicts = new FileVerdictStore(path.join(config.dataDir, 'verdicts'));
  const keys = new FileKeyStore(config.auth.keysPath);
  return {
    kind: 'files', entries, blobs, outbox, vectors, verdicts,
    keys: async () => keys,
    removeTenant: (tenant) => removeTenant({ entries, blobs, outbox, vectors, verdicts }, tenant),
    close: async () => undefined,
  };
}

function postgresStores(config: Config, database: Database, log?: Logger): Stores {
  const entries = new PgEntryStore(database);
  const blobs = new PgBlobStore(database);
  const outbox = new PgOutbox(database);
  const vectors = new PgVectors(database);
  const verdicts = new PgVerdictStore(database);
  let keys: Promise<KeyStore> | undefined;
  return {
    kind: 'postgres', database, entries, blobs, outbox, vectors, verdicts,
    keys: () => (keys ??= PgKeyStore.open(database, config.auth.keysRefreshMs, log)),
    removeTenant: (tenant) => removeTenant({ entries, blobs, outbox, vectors, verdicts }, tenant),
    close: async () => {
      await (await keys?.catch(() => undefined))?.close?.();
      await database.close();
    },
  };
}

/** A tenant out of every store (blobs, outbox and vectors first: the entries are what serves); returns how many entries it had. */
async function removeTenant(stores: Pick<Stores, 'entries' | 'blobs' | 'outbox' | 'vectors' | 'verdicts'>, tenant: string): Promise<number> {
  await Promise.all([stores.blobs.removeTenant(tenant), stores.outbox.removeTenant(tenant), stores.vectors.removeTenant(tenant), stores.verdicts.removeTenant(tenant)]);
  return stores.entries.removeTenant(tenant);
}

/** The database, migrated (under the advisory lock, so replicas starting together apply each migration once). */
async function connected(url: string, log?: Logger): Promise<Database> {
  const db = new Database(url, log);
  try {
    const applied = await db.migrate();
    if (applied.length) log?.info({ applied }, 'postgres: migrations applied');
    return db;
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}
