/**
 * Request numbers across every API replica, through PostgreSQL: each replica
 * adds what it answered to per-minute rows of its own (table request_counts)
 * every few seconds — one multi-row upsert, never one per request — and the
 * dashboard and /metrics read the sum over all replicas for the last hour.
 * A replica that dies keeps its rows, so the sum holds what it answered.
 * While PostgreSQL cannot answer, counts wait in memory (bounded) and go in
 * at the next flush that succeeds.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Database } from '../../postgres/database';
import { Periodic } from '../periodic';
import type { RecordedUse } from './usage';

export const FLUSH_MS = 5_000;
/** Rows older than this are removed by whichever replica flushes (idempotent). */
const KEEP_MS = 7 * 24 * 3_600_000;
/** Pending (minute, tier) cells held while PostgreSQL is away, at most: past it the oldest are dropped (and logged). */
const MAX_PENDING = 10_000;

interface Cell {
  minute: number;
  tier: string;
  requests: number;
  ms: number;
  prompt: number;
  completion: number;
}

export interface FleetWindow {
  /** Replicas that answered at least one request in the window. */
  replicas: number;
  minutes: number;
  requests: Record<string, number>;
  /** Mean latency by tier, ms. */
  meanMs: Record<string, number>;
  saved: { prompt: number; completion: number };
}

export class FleetCounts {
  readonly replica = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private pending = new Map<string, Cell>();
  private readonly periodic: Periodic;
  private lastPrune = 0;

  constructor(private readonly db: Database, private readonly log: Logger) {
    this.periodic = new Periodic(() => this.flush(), log, 'fleet request counts');
  }

  /** Called for every recorded request (UsageLedger): a map update, no I/O. */
  add(use: RecordedUse, now = Date.now()): void {
    const minute = Math.floor(now / 60_000) * 60_000;
    const id = `${minute}|${use.tier}`;
    let cell = this.pending.get(id);
    if (!cell) {
      if (this.pending.size >= MAX_PENDING) this.dropOldest();
      this.pending.set(id, (cell = { minute, tier: use.tier, requests: 0, ms: 0, prompt: 0, completion: 0 }));
    }
    cell.requests++;
    cell.ms += use.ms;
    if (use.hit && use.saved) (cell.prompt += use.saved.prompt), (cell.completion += use.saved.completion);
  }

  start(intervalMs = FLUSH_MS): void {
    this.periodic.start(intervalMs);
  }

  async stop(): Promise<void> {
    await this.periodic.stop();
    await this.flush().catch(() => undefined);
  }

  /** Adds what this replica counted since the last flush to its rows (one statement); kept for the next try on failure. */
  async flush(now = Date.now()): Promise<void> {
    const cells = [...this.pending.values()];
    if (cells.length > 0) {
      this.pending = new Map();
      try {
        await this.db.pool.query(
          `INSERT INTO request_counts AS c (minute, replica, tier, requests, ms, prompt_saved, completion_saved)
           SELECT to_timestamp(m / 1000.0), $1, t, r, ms, p, co FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::float8[], $6::bigint[], $7::bigint[]) AS u(m, t, r, ms, p, co)
           ON CONFLICT (minute, replica, tier) DO UPDATE SET requests = c.requests + EXCLUDED.requests, ms = c.ms + EXCLUDED.ms,
             prompt_saved = c.prompt_saved + EXCLUDED.prompt_saved, completion_saved = c.completion_saved + EXCLUDED.completion_saved`,
          [this.replica, cells.map((c) => c.minute), cells.map((c) => c.tier), cells.map((c) => c.requests), cells.map((c) => c.ms), cells.map((c) => c.prompt), cells.map((c) => c.completion)],
        );
      } catch (err) {
        for (const c of cells) this.merge(c);
        throw err;
      }
    }
    if (now - this.lastPrune > 3_600_000) {
      this.lastPrune = now;
      await this.db.pool.query('DELETE FROM request_counts WHERE minute < $1', [new Date(now - KEEP_MS)]);
    }
  }

  /** Every replica's numbers over the last `minutes`. */
  async window(minutes = 60): Promise<FleetWindow> {
    type Row = { tier: string; replica: string; requests: string; ms: number; prompt: string; completion: string };
    const { rows } = await this.db.pool.query<Row>(
      `SELECT tier, replica, sum(requests) AS requests, sum(ms) AS ms, sum(prompt_saved) AS prompt, sum(completion_saved) AS completion
       FROM request_counts WHERE minute >= now() - make_interval(mins => $1) GROUP BY tier, replica`,
      [minutes],
    );
    const out: FleetWindow = { replicas: new Set(rows.map((r) => r.replica)).size, minutes, requests: {}, meanMs: {}, saved: { prompt: 0, completion: 0 } };
    const ms: Record<string, number> = {};
    for (const r of rows) {
      out.requests[r.tier] = (out.requests[r.tier] ?? 0) + Number(r.requests);
      ms[r.tier] = (ms[r.tier] ?? 0) + Number(r.ms);
      out.saved.prompt += Number(r.prompt);
      out.saved.completion += Number(r.completion);
    }
    for (const tier of Object.keys(ms)) out.meanMs[tier] = ms[tier]! / out.requests[tier]!;
    return out;
  }

  private merge(c: Cell): void {
    const id = `${c.minute}|${c.tier}`;
    const into = this.pending.get(id);
    if (!into) this.pending.set(id, c);
    else for (const f of ['requests', 'ms', 'prompt', 'completion'] as const) into[f] += c[f];
  }

  private dropOldest(): void {
    const oldest = this.pending.keys().next().value;
    if (oldest !== undefined) this.pending.delete(oldest);
    this.log.warn('fleet request counts: PostgreSQL away too long; the oldest unsent minute was dropped');
  }
}
