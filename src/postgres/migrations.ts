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
];
