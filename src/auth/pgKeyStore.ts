/**
 * Gateway keys in PostgreSQL (REFLEX_DATABASE_URL), for replicas on separate
 * hosts. `find` runs on every request and stays synchronous: each replica
 * holds every key in memory, by secret hash, and reloads them all when they
 * change — at once on a NOTIFY from the replica that changed them, and within
 * REFLEX_KEYS_REFRESH_MS by polling a change counter should a notification be
 * lost (the listener reconnects). So a key revoked on one replica stops on
 * every other within that bound (milliseconds when NOTIFY arrives). A replica
 * that cannot refresh for STALE_AFTER polls answers 503 for keyed requests
 * rather than trust keys it can no longer check.
 */
import type { Logger } from 'pino';
import { GatewayError } from '../errors';
import type { Database } from '../postgres/database';
import type { KeyOptions } from './keyOptions';
import { checkKeyHash, GatewayKey, hashOf, KEY_ID, KeyStore, newKey, parseKey, StoredKey } from './keyStore';

const CHANNEL = 'reflex_keys';
const STALE_AFTER = 10;

export class PgKeyStore implements KeyStore {
  private byHash = new Map<string, GatewayKey>();
  private serial = -1;
  private refreshedAt = 0;
  private reloading?: Promise<void>;
  private reloadAgain = false;
  private timer?: NodeJS.Timeout;

  private constructor(private readonly db: Database, private readonly refreshMs: number, private readonly log?: Logger) {}

  /** Loads every key, then follows changes (NOTIFY, and a poll every refreshMs). */
  static async open(db: Database, refreshMs: number, log?: Logger): Promise<PgKeyStore> {
    const store = new PgKeyStore(db, refreshMs, log);
    await store.reload();
    await db.listen(CHANNEL, () => void store.reload().catch((err: unknown) => store.warn(err)));
    store.timer = setInterval(() => void store.poll(), refreshMs);
    store.timer.unref();
    return store;
  }

  async create(options: KeyOptions, now = new Date()): Promise<{ key: GatewayKey; secret: string }> {
    const { key, secret, hash } = newKey(options, now);
    await this.change('INSERT INTO gateway_keys (secret_hash, id, key, created_at) VALUES ($1, $2, $3, $4) RETURNING id', [hash, key.id, key, key.created_at]);
    this.byHash.set(hash, key);
    return { key, secret };
  }

  find(secret: string): GatewayKey | undefined {
    if (Date.now() - this.refreshedAt > STALE_AFTER * this.refreshMs) {
      throw new GatewayError(503, 'The gateway cannot reach its key store; try again shortly.', 'api_error', 'key_store_unavailable', null, { 'Retry-After': '1' });
    }
    return this.byHash.get(hashOf(secret));
  }

  async list(): Promise<GatewayKey[]> {
    const { rows } = await this.db.pool.query<{ key: unknown }>('SELECT key FROM gateway_keys ORDER BY created_at, id');
    return rows.map((r) => parseKey(r.key)).filter((k): k is GatewayKey => k !== undefined);
  }

  async remove(id: string): Promise<boolean> {
    if (!KEY_ID.test(id)) return false;
    const removed = await this.change('DELETE FROM gateway_keys WHERE id = $1 RETURNING secret_hash', [id]);
    for (const row of removed) this.byHash.delete(String(row.secret_hash));
    return removed.length > 0;
  }

  async exportAll(): Promise<StoredKey[]> {
    const { rows } = await this.db.pool.query<{ secret_hash: string; key: unknown }>('SELECT secret_hash, key FROM gateway_keys ORDER BY secret_hash');
    return rows.flatMap((r) => {
      const key = parseKey(r.key);
      return key ? [{ hash: r.secret_hash, key }] : [];
    });
  }

  async importKey({ hash, key }: StoredKey): Promise<void> {
    checkKeyHash(hash);
    await this.change(
      `INSERT INTO gateway_keys (secret_hash, id, key, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (secret_hash) DO UPDATE SET key = EXCLUDED.key RETURNING id`,
      [hash, key.id, key, key.created_at]);
    this.byHash.set(hash, key);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
  }

  /** One change, the counter bump and the NOTIFY in one transaction (NOTIFY is delivered at commit). */
  private change(sql: string, params: unknown[]): Promise<Record<string, unknown>[]> {
    return this.db.transaction(async (client) => {
      const { rows } = await client.query(sql, params);
      if (rows.length > 0) {
        await client.query('UPDATE gateway_key_changes SET serial = serial + 1');
        await client.query('SELECT pg_notify($1, $2)', [CHANNEL, 'changed']);
      }
      return rows;
    });
  }

  private async poll(): Promise<void> {
    try {
      const { rows } = await this.db.pool.query<{ serial: string }>('SELECT serial FROM gateway_key_changes');
      if (Number(rows[0]?.serial) !== this.serial) await this.reload();
      else this.refreshedAt = Date.now();
    } catch (err) {
      this.warn(err);
    }
  }

  /** Replaces the whole map; reloads asked for meanwhile run once more after it, so the last one wins. */
  private reload(): Promise<void> {
    if (this.reloading) {
      this.reloadAgain = true;
      return this.reloading;
    }
    this.reloading = this.loadAll().finally(() => {
      this.reloading = undefined;
      if (this.reloadAgain) {
        this.reloadAgain = false;
        void this.reload().catch((err: unknown) => this.warn(err));
      }
    });
    return this.reloading;
  }

  private async loadAll(): Promise<void> {
    // One snapshot: the counter and the keys it counts.
    const { serial, rows } = await this.db.transaction(async (client) => ({
      serial: Number((await client.query<{ serial: string }>('SELECT serial FROM gateway_key_changes')).rows[0]?.serial),
      rows: (await client.query<{ secret_hash: string; key: unknown }>('SELECT secret_hash, key FROM gateway_keys')).rows,
    }), 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const next = new Map<string, GatewayKey>();
    for (const row of rows) {
      const key = parseKey(row.key);
      if (key) next.set(row.secret_hash, key);
    }
    [this.byHash, this.serial, this.refreshedAt] = [next, serial, Date.now()];
  }

  private warn(err: unknown): void {
    this.log?.warn({ err: err instanceof Error ? err.message : String(err) }, 'gateway keys: refresh from postgres failed');
  }
}
