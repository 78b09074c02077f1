/**
 * A per-key request count shared by every replica through PostgreSQL, without
 * a round trip per request: each replica leases points in batches (one upsert
 * per batch, table rate_limits) and spends them in memory, synchronously.
 *
 * The shared row counts the points handed out in the key's current window
 * (one minute from its first lease, by the database's clock). A lease is
 * granted only what is left of the limit, so all replicas together never
 * serve more than the limit in a window. The price is slack the other way: a
 * replica holds at most one batch it has not spent yet, so a key may be
 * refused on one replica while another still holds points — at most one
 * batch per replica early (docs/operations.md, "Rate limits").
 */
import type { Pool } from 'pg';
import type { RateDecision } from './rateLimit';

/** Points per lease: a twentieth of the limit (at most 1000), so the slack stays small beside the limit. */
export const batchFor = (perMinute: number) => Math.max(1, Math.min(1000, Math.ceil(perMinute / 20)));

interface Lease {
  /** Points leased and not spent yet. */
  left: number;
  /** Points handed out in this window by every replica, at the last lease. */
  shared: number;
  /** Local ms when the window ends. */
  resetAt: number;
  /** The window's limit is reached: nothing more is leased until resetAt. */
  exhausted: boolean;
  /** A lease in flight (a top-up started before this one ran out, or a waiter's). */
  pending?: Promise<void>;
}

// One statement: a window that ended (or none) starts anew with this lease; else the lease adds to it.
// Times are the database's, so replicas whose clocks differ still share one window.
const LEASE_SQL = `
  WITH t AS (SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now)
  INSERT INTO rate_limits AS r (key, points, expire) SELECT $1, $2, t.now + $3 FROM t
  ON CONFLICT (key) DO UPDATE SET
    points = CASE WHEN r.expire IS NULL OR r.expire <= (SELECT now FROM t) THEN EXCLUDED.points ELSE r.points + EXCLUDED.points END,
    expire = CASE WHEN r.expire IS NULL OR r.expire <= (SELECT now FROM t) THEN EXCLUDED.expire ELSE r.expire END
  RETURNING points, expire - (SELECT now FROM t) AS ms_left`;

/** Leases one request waits through before its replica counts it alone (see KeyRateLimiter.take). */
const MAX_WAITS = 100;

export class LeasedCount {
  private readonly leases = new Map<string, Lease>();

  constructor(
    private readonly pool: Pool,
    private readonly windowMs = 60_000,
  ) {}

  /** The decision from this replica's lease, in this tick; undefined when a lease must be fetched first (take). */
  takeNow(keyId: string, perMinute: number, now = Date.now()): RateDecision | undefined {
    const lease = this.leases.get(idOf(keyId, perMinute));
    if (!lease || lease.resetAt <= now) return undefined;
    const resetMs = lease.resetAt - now;
    if (lease.left > 0) {
      lease.left--;
      // Top up before it runs out, so the exact-hit lane rarely waits for a lease. Not for one-point batches
      // (limits up to 20 a minute): a point leased ahead could sit here while another replica is refused.
      const batch = batchFor(perMinute);
      if (batch > 1 && !lease.exhausted && lease.left <= batch / 2) this.topUp(keyId, perMinute, lease);
      return { allowed: true, limit: perMinute, remaining: Math.max(0, perMinute - lease.shared) + lease.left, resetMs };
    }
    if (lease.exhausted) return { allowed: false, limit: perMinute, remaining: 0, resetMs };
    return undefined;
  }

  /** The decision, leasing first when needed; throws when PostgreSQL cannot answer (the caller falls back). */
  async take(keyId: string, perMinute: number): Promise<RateDecision> {
    // Requests of this replica waiting on one lease take its points in turn; one that finds it spent leases again.
    for (let attempt = 0; attempt < MAX_WAITS; attempt++) {
      const decided = this.takeNow(keyId, perMinute);
      if (decided) return decided;
      const id = idOf(keyId, perMinute);
      const lease = this.leases.get(id);
      if (lease?.pending) await lease.pending;
      else await this.lease(keyId, perMinute, lease && lease.resetAt > Date.now() ? lease : undefined);
    }
    throw new Error(`no lease for ${keyId} after ${MAX_WAITS} tries`);
  }

  private remember(id: string, lease: Lease): void {
    if (this.leases.size >= 10_000) {
      const now = Date.now();
      for (const [other, l] of this.leases) if (l.resetAt <= now && !l.pending) this.leases.delete(other);
    }
    this.leases.set(id, lease);
  }

  private topUp(keyId: string, perMinute: number, lease: Lease): void {
    if (lease.pending) return;
    // A failed top-up is harmless: the next request that finds the lease empty leases (or falls back) itself.
    this.lease(keyId, perMinute, lease).catch(() => undefined);
  }

  /** One upsert: leases a batch (less what the window has left) into `current`, or into a new lease. */
  private lease(keyId: string, perMinute: number, current: Lease | undefined): Promise<void> {
    const id = idOf(keyId, perMinute);
    const target = current ?? { left: 0, shared: 0, resetAt: 0, exhausted: false };
    if (!current) this.remember(id, target); // other requests of this key wait on its pending lease
    const batch = batchFor(perMinute);
    const asked = Math.max(1, batch - target.left);
    const work = (async () => {
      const { rows } = await this.pool.query<{ points: number; ms_left: string }>(LEASE_SQL, [id, asked, this.windowMs]);
      const row = rows[0]!;
      const granted = Math.max(0, Math.min(asked, perMinute - (row.points - asked)));
      const resetAt = Date.now() + Number(row.ms_left);
      // A top-up that landed in a new window (the old one ended meanwhile) replaces what is left of the old one.
      if (target.resetAt !== 0 && Math.abs(resetAt - target.resetAt) > 1000) target.left = 0;
      Object.assign(target, { left: target.left + granted, shared: Math.min(perMinute, row.points), resetAt, exhausted: granted < asked });
    })();
    target.pending = work.finally(() => (target.pending = undefined));
    return target.pending;
  }
}

/** The row's key: the limit is part of it, so a key whose limit changes starts a new count. */
const idOf = (keyId: string, perMinute: number) => `lease${perMinute}:${keyId}`;
