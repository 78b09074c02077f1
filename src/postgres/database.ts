/**
 * The gateway's PostgreSQL (REFLEX_DATABASE_URL): one pool per process,
 * parameterised queries only, migrations applied under an advisory lock (two
 * replicas starting at once apply each migration once), and LISTEN channels
 * on a dedicated connection that reconnects after a drop.
 */
import { Client, Pool, type PoolClient, type PoolConfig } from 'pg';
import type { Logger } from 'pino';
import { MIGRATIONS, type Migration } from './migrations';

/** pg_advisory_xact_lock key for migrations: any fixed number unique to this schema ("reflex" in ASCII). */
const MIGRATION_LOCK = 0x7265666c6578;
const RELISTEN_MS = 1_000;

export class Database {
  readonly pool: Pool;
  private listener?: Client;
  private readonly channels = new Map<string, (payload: string) => void>();
  private closed = false;

  constructor(readonly url: string, private readonly log?: Logger, options: PoolConfig = {}) {
    // A server that does not answer (a host gone, not a refused port) fails a request in seconds, not never.
    this.pool = new Pool({ connectionString: url, max: 10, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 5_000, keepAlive: true, ...options });
    // An idle client's error (the server restarted) must not crash the process; the next query reconnects.
    this.pool.on('error', (err) => this.log?.warn({ err: err.message }, 'postgres: idle connection failed'));
  }

  /** Applies what MIGRATIONS has and the database lacks; returns the versions applied now. */
  migrate(migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
    return this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
      const done = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
      const applied: number[] = [];
      for (const m of migrations.filter((x) => !done.has(x.version))) {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        applied.push(m.version);
      }
      return applied;
    });
  }

  /** `work` in one transaction on one pooled connection: committed when it resolves, rolled back when it throws. */
  async transaction<T>(work: (client: PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query(begin);
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** Calls `onPayload` for each NOTIFY on `channel`, from the next listener connection on. */
  async listen(channel: string, onPayload: (payload: string) => void): Promise<void> {
    this.channels.set(channel, onPayload);
    if (this.listener) await this.listener.query(`LISTEN ${quoteIdent(channel)}`);
    else await this.connectListener();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.listener?.end().catch(() => undefined);
    await this.pool.end();
  }

  private async connectListener(): Promise<void> {
    const client = new Client({ connectionString: this.url });
    client.on('notification', (n) => this.channels.get(n.channel)?.(n.payload ?? ''));
    client.on('error', (err) => {
      this.log?.warn({ err: err.message }, 'postgres: listener connection lost; reconnecting');
      this.listener = undefined;
      client.end().catch(() => undefined);
      this.relisten();
    });
    await client.connect();
    for (const channel of this.channels.keys()) await client.query(`LISTEN ${quoteIdent(channel)}`);
    this.listener = client;
  }

  private relisten(): void {
    if (this.closed) return;
    setTimeout(() => void this.connectListener().catch(() => this.relisten()), RELISTEN_MS).unref();
  }
}

/** Rows per page of a keyset-paged listing. */
export const PAGE = 1000;

/**
 * Every row of a keyset-paged listing: `page(last)` returns up to PAGE rows
 * after `last` (undefined: from the start), in the listing's order. Walks a
 * large table without holding it, and stays stable while rows come and go.
 */
export async function* keysetPages<R>(page: (last: R | undefined) => Promise<R[]>): AsyncGenerator<R> {
  for (let last: R | undefined; ; ) {
    const rows = await page(last);
    yield* rows;
    if (rows.length < PAGE) return;
    last = rows.at(-1);
  }
}

/** Channel names are ours (constants), but LISTEN takes no parameters: quote them as identifiers anyway. */
const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
