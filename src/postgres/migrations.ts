/**
 * The gateway's PostgreSQL schema, as ordered migrations. A migration is
 * never edited once released; a change is a new one. Applied by `reflex
 * migrate` and at start (database.ts), each in its own transaction.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'gateway keys and shared rate limits',
    sql: `
      CREATE TABLE gateway_keys (
        -- sha256 of the secret: the secret itself is never stored.
        secret_hash text PRIMARY KEY,
        id text NOT NULL UNIQUE,
        key jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      -- One row, bumped by every change to gateway_keys: replicas poll it to notice a missed NOTIFY.
      CREATE TABLE gateway_key_changes (only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row), serial bigint NOT NULL);
      INSERT INTO gateway_key_changes VALUES (true, 0);
      -- rate-limiter-flexible's RateLimiterPostgres table (its own layout): one row per key and window.
      CREATE TABLE rate_limits (key varchar(255) PRIMARY KEY, points integer NOT NULL DEFAULT 0, expire bigint);
      CREATE INDEX rate_limits_expire ON rate_limits (expire);
    `,
  },
  {
    version: 2,
    name: 'entries, claim-check blobs, fill-run markers, outbox, stored embeddings',
    sql: `
      CREATE TABLE entries (
        tenant text NOT NULL,
        key text NOT NULL,
        -- The entry without its embedding, which is stored as float32 bytes (4 bytes a dimension, not JSON text).
        entry jsonb NOT NULL,
        embedding bytea NOT NULL,
        bytes integer NOT NULL,
        used_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant, key)
      );
      -- The sweeper's least-recently-used order.
      CREATE INDEX entries_used_at ON entries (used_at);
      CREATE TABLE blobs (
        tenant text NOT NULL,
        ref text NOT NULL,
        data text NOT NULL,
        written_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant, ref)
      );
      CREATE INDEX blobs_written_at ON blobs (written_at);
      -- The codec endpoint resolves a reference without knowing its tenant.
      CREATE INDEX blobs_ref ON blobs (ref);
      CREATE TABLE fill_runs (
        tenant text NOT NULL,
        run text NOT NULL,
        answer_ref text NOT NULL,
        written_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant, run)
      );
      CREATE INDEX fill_runs_written_at ON fill_runs (written_at);
      CREATE TABLE outbox (
        tenant text NOT NULL,
        key text NOT NULL,
        record jsonb NOT NULL,
        answered_at bigint NOT NULL,
        -- A drainer's claim: other workers' drains skip the record until it lapses.
        claimed_until timestamptz,
        PRIMARY KEY (tenant, key)
      );
      CREATE INDEX outbox_answered_at ON outbox (answered_at);
      CREATE TABLE embeddings (
        tenant text NOT NULL,
        key text NOT NULL,
        stored jsonb NOT NULL,
        used_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant, key)
      );
      CREATE INDEX embeddings_used_at ON embeddings (used_at);
    `,
  },
  {
    version: 3,
    name: 'request counts of every replica, per minute',
    sql: `
      -- Each API replica adds what it answered (ops/dashboard/fleet.ts); the dashboard and /metrics sum them.
      CREATE TABLE request_counts (
        minute timestamptz NOT NULL,
        replica text NOT NULL,
        tier text NOT NULL,
        requests bigint NOT NULL,
        ms double precision NOT NULL,
        prompt_saved bigint NOT NULL,
        completion_saved bigint NOT NULL,
        PRIMARY KEY (minute, replica, tier)
      );
    `,
  },
  {
    version: 4,
    name: 'entries as compressed JSON',
    sql: `
      -- The entry without its embedding, tenant and key, as brotli-compressed JSON (pgEntryStore.ts): about
      -- half the size of the JSONB, which stays for the rows written before and is read as it is.
      ALTER TABLE entries ADD COLUMN body bytea;
      ALTER TABLE entries ALTER COLUMN entry DROP NOT NULL;
      -- A row over ~2 KB is cut down by moving its largest column out of line: let that be the embedding
      -- (incompressible: no compression attempt) and keep the body in the row, so a heap page holds ~9 rows,
      -- not 4 with the body moved out instead (BENCHMARKS.md, "Entry stores at scale").
      ALTER TABLE entries ALTER COLUMN embedding SET STORAGE EXTERNAL;
      ALTER TABLE entries ALTER COLUMN body SET STORAGE MAIN;
    `,
  },
  {
    version: 5,
    name: 'judged semantic hits (audits and free judgements)',
    sql: `
      -- cache/l3/budget/pgVerdictStore.ts: read on per tenant by seq; an id appended twice (a retried activity) is one row.
      CREATE TABLE verdicts (
        seq bigserial PRIMARY KEY,
        id text NOT NULL UNIQUE,
        tenant text NOT NULL,
        verdict jsonb NOT NULL,
        written_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX verdicts_tenant_seq ON verdicts (tenant, seq);
    `,
  },
];
