/**
 * One worker at a time runs the shared chores (sweeper, outbox drain, index
 * repair): whoever holds a PostgreSQL session advisory lock, on a connection
 * of its own. The lock lives exactly as long as that session, so a holder
 * that dies (kill -9, OOM, a host gone) frees it when PostgreSQL closes its
 * session — at once for a closed socket, within the TCP keepalive below for a
 * host that vanished — and the next worker's try takes it over. A holder
 * that loses its connection stops leading at once; chores are idempotent, so
 * the short overlap a partition could cause costs work, never correctness.
 */
import { Client } from 'pg';
import type { Logger } from 'pino';

/** pg_try_advisory_lock key of the chores: "chores" in ASCII, apart from the migrations' lock. */
export const CHORES_LOCK = 0x63686f726573;
export const LEADERSHIP_CHECK_MS = 5_000;

export class Leadership {
  private client?: Client;
  private leading = false;
  private timer?: NodeJS.Timeout;
  private checking?: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly log?: Logger,
    private readonly lock = CHORES_LOCK,
  ) {}

  /** Whether this process holds the lock now (as of its last check). */
  get isLeader(): boolean {
    return this.leading;
  }

  /** Tries at once, then every `intervalMs`: takes the lock when free, and checks it still holds it when leading. */
  async start(intervalMs = LEADERSHIP_CHECK_MS): Promise<void> {
    await this.check();
    this.timer = setInterval(() => void this.check(), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.checking;
    const client = this.client;
    this.client = undefined;
    this.leading = false;
    // Ending the session frees the lock; another worker takes it at its next try.
    await client?.end().catch(() => undefined);
  }

  private check(): Promise<void> {
    this.checking ??= this.tryOnce().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async tryOnce(): Promise<void> {
    try {
      const client = this.client ?? (await this.connect());
      if (this.leading) {
        await client.query('SELECT 1'); // the session (and with it the lock) is still there
        return;
      }
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [this.lock]);
      if (rows[0]?.locked) this.become(true);
    } catch (err) {
      this.lost(err);
    }
  }

  private async connect(): Promise<Client> {
    // Keepalives on both ends: PostgreSQL ends (and unlocks) the session of a vanished host within ~30 s.
    // A server that does not answer must not hold the worker's start (or every later try) forever.
    const client = new Client({ connectionString: this.url, keepAlive: true, keepAliveInitialDelayMillis: 10_000, connectionTimeoutMillis: 5_000, query_timeout: 10_000 });
    client.on('error', (err) => this.lost(err));
    await client.connect();
    await client.query('SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3');
    this.client = client;
    return client;
  }

  private lost(err: unknown): void {
    const client = this.client;
    this.client = undefined;
    client?.end().catch(() => undefined);
    if (this.leading) this.log?.warn({ err: String(err) }, 'leadership lost with the PostgreSQL session: shared chores stop here until it is won again');
    this.leading = false;
  }

  private become(leading: boolean): void {
    if (leading !== this.leading) this.log?.info({ leading }, leading ? 'this worker now runs the shared chores (sweeper, outbox drain, index repair)' : 'shared chores handed over');
    this.leading = leading;
  }
}
