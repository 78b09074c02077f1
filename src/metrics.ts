/**
 * The gateway's Prometheus metrics, on a registry of its own (not prom-client's
 * global one), so each process, and each test, counts only itself. The API
 * fills the request metrics; the worker fills the workflow and upstream ones.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Every X-Reflex-Status value; a response without one is counted as ERROR.
 * JOINED: a miss answered by a provider call another request paid for (a
 * running fill of this or another replica, or an entry stored meanwhile).
 */
export const TIERS = ['HIT_L1_EXACT', 'HIT_L3_VERIFIED', 'MISS', 'JOINED', 'REFRESH', 'BYPASS'] as const;
/** The tiers whose answers cost no provider call of their own: what the savings count. */
export const SAVED_TIERS: ReadonlySet<Tier> = new Set(['HIT_L1_EXACT', 'HIT_L3_VERIFIED', 'JOINED']);
/** X-Reflex-Status values plus what a request without one was. */
export type Tier = (typeof TIERS)[number] | 'ERROR';

export const tierOf = (status: string): Tier => ((TIERS as readonly string[]).includes(status) ? (status as Tier) : 'ERROR');

const FAILED_OUTCOMES = new Set(['provider_failed', 'store_failed', 'index_failed']);
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** One row of the wrong-hit estimate (cache/l3/budget/errorBudget.ts makes them). */
export interface WrongHitEstimate {
  /** A tenant id, or "all" for every tenant together. */
  tenant: string;
  audited: number;
  wrong: number;
  rate: number;
  /** 95% (one-sided) Wilson upper bound of the rate. */
  upper: number;
  /** The tenant's raised cosine floor, when the budget raised it (+Infinity: no semantic hits). */
  floor?: number;
  /** Judged candidates the floor is learned from: audits and free judgements. */
  judged: number;
  /** A strict tenant with no floor open: clean judgements still needed at the configured floor, if none of them is wrong. */
  toOpen?: number;
}

export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({ name: 'reflex_requests_total', help: 'Cached requests (chat completions, responses, embeddings) by HTTP status and cache tier', labelNames: ['status', 'tier'], registers: [this.registry] });
  readonly latency = new Histogram({ name: 'reflex_request_duration_seconds', help: 'Cached request latency by cache tier (MISS = provider via the fill workflow)', labelNames: ['tier'], buckets: LATENCY_BUCKETS, registers: [this.registry] });
  readonly tokensSaved = new Counter({ name: 'reflex_tokens_saved_total', help: 'Provider tokens not spent because a hit answered (from the cached usage)', labelNames: ['type'], registers: [this.registry] });
  readonly upstreamCalls = new Counter({ name: 'reflex_upstream_calls_total', help: 'Provider calls made by fill activities (each retry counts)', labelNames: ['result'], registers: [this.registry] });
  readonly coalesced = new Counter({ name: 'reflex_coalesced_requests_total', help: 'Misses that joined a fill another request had started', registers: [this.registry] });
  readonly fillsStarted = new Counter({ name: 'reflex_fills_started_total', help: 'Fill workflows started', registers: [this.registry] });
  readonly fillsCompleted = new Counter({ name: 'reflex_fills_completed_total', help: 'Fill workflows completed, by outcome', labelNames: ['outcome'], registers: [this.registry] });
  readonly fillsFailed = new Counter({ name: 'reflex_fills_failed_total', help: 'Fills that failed: provider error, or store/index budget exhausted (replayable)', labelNames: ['outcome'], registers: [this.registry] });
  readonly maintenance = new Counter({ name: 'reflex_maintenance_total', help: 'Replay, delete and purge workflows finished, by outcome', labelNames: ['kind', 'outcome'], registers: [this.registry] });
  readonly degraded = new Gauge({ name: 'reflex_degraded', help: '1 while this API process answers misses without Temporal (degraded mode: provider directly, answers kept in the outbox)', labelNames: ['dependency'], registers: [this.registry] });
  readonly outbox = new Counter({ name: 'reflex_outbox_total', help: 'Outbox events: answers written while Temporal was unreachable, writes that failed (answer not cached), records drained into fills', labelNames: ['event'], registers: [this.registry] });
  readonly missesInFlight = new Gauge({ name: 'reflex_misses_in_flight', help: 'Misses admitted and not yet answered in this API process (REFLEX_MAX_MISSES bounds it)', registers: [this.registry] });
  readonly missQueue = new Gauge({ name: 'reflex_miss_queue_depth', help: 'Misses waiting for a slot because REFLEX_MAX_MISSES are in flight', registers: [this.registry] });
  readonly missesRefused = new Counter({ name: 'reflex_misses_refused_total', help: 'Misses answered 503 (Retry-After) because the miss queue was full or the wait ran out', labelNames: ['reason'], registers: [this.registry] });
  readonly indexRepairs = new Counter({ name: 'reflex_index_repairs_total', help: 'Stored entries found missing from the vector index and re-inserted by the index repair (ops/indexRepair.ts)', registers: [this.registry] });
  readonly swept = new Counter({ name: 'reflex_entries_swept_total', help: 'Entries removed in the background, by reason', labelNames: ['reason'], registers: [this.registry] });

  /** Replica-wide request numbers (PostgreSQL, ops/dashboard/fleet.ts): the same on every replica, so never summed across them. */
  readonly fleetRequests = new Gauge({ name: 'reflex_fleet_requests', help: 'Requests answered by all API replicas together in the last hour, by tier (from PostgreSQL; every replica reports the same figure: do not sum it across replicas)', labelNames: ['tier'], registers: [this.registry], collect: () => this.collectFleet() });
  readonly fleetReplicas = new Gauge({ name: 'reflex_fleet_replicas', help: 'API replicas that answered a request in the last hour (from PostgreSQL)', registers: [this.registry], collect: () => this.collectFleet() });
  private fleetSource?: () => Promise<{ replicas: number; requests: Record<string, number> }>;
  /** The read both fleet gauges share in a scrape (prom-client collects them concurrently: each waits for it). */
  private fleetRead?: Promise<void>;

  /** Audits (issue 28): starts in the API, ends in the worker, and the estimate read from the verdicts at each scrape. */
  readonly auditStarts = new Counter({ name: 'reflex_audit_starts_total', help: 'Semantic hits sampled for an audit (REFLEX_AUDIT_RATE): started, capped (the tenant\'s daily cap was spent), failed (not started)', labelNames: ['event'], registers: [this.registry] });
  readonly auditUpstreamCalls = new Counter({ name: 'reflex_audit_upstream_calls_total', help: 'Provider calls made by audits (each retry counts; a replayed audit that reuses its answer does not)', labelNames: ['result'], registers: [this.registry] });
  readonly audits = new Counter({ name: 'reflex_audits_total', help: 'Audit workflows finished, by outcome (right, wrong, wrong_repaired, entry_gone)', labelNames: ['outcome'], registers: [this.registry] });
  readonly wrongHitRate = new Gauge({ name: 'reflex_wrong_hit_rate', help: 'Wrong share of audited semantic hits, per tenant and "all" (verdicts of every replica)', labelNames: ['tenant'], registers: [this.registry], collect: () => this.collectWrongHits() });
  readonly wrongHitUpper = new Gauge({ name: 'reflex_wrong_hit_rate_upper', help: '95% (one-sided Wilson) upper bound of the wrong-hit rate, per tenant and "all"', labelNames: ['tenant'], registers: [this.registry], collect: () => this.collectWrongHits() });
  readonly auditedHits = new Gauge({ name: 'reflex_audited_hits', help: 'Audited semantic hits with a verdict, per tenant and "all"', labelNames: ['tenant'], registers: [this.registry], collect: () => this.collectWrongHits() });
  readonly auditedWrong = new Gauge({ name: 'reflex_audited_wrong_hits', help: 'Audited semantic hits judged wrong, per tenant and "all"', labelNames: ['tenant'], registers: [this.registry], collect: () => this.collectWrongHits() });
  readonly judgedCandidates = new Gauge({ name: 'reflex_judged_candidates', help: 'Judged semantic candidates (audits and free judgements of refused ones) the error budget learns its floor from, per tenant and "all"', labelNames: ['tenant'], registers: [this.registry], collect: () => this.collectWrongHits() });
  readonly tenantFloor = new Gauge({ name: 'reflex_semantic_floor', help: 'The cosine floor L3 applies to a tenant whose error budget (REFLEX_MAX_WRONG_HITS) raised it (+Inf: no semantic hits)', labelNames: ['tenant'], registers: [this.registry], collect: () => this.collectWrongHits() });
  private wrongHitSource?: () => Promise<WrongHitEstimate[]>;
  /** The read a scrape's six gauges share: prom-client collects them concurrently, each must wait for the same read. */
  private wrongHitsRead?: Promise<void>;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'reflex_' });
  }

  /** Where the fleet gauges read from (only with PostgreSQL); read at each scrape. */
  fleetFrom(source: () => Promise<{ replicas: number; requests: Record<string, number> }>): void {
    this.fleetSource = source;
  }

  /** Where the wrong-hit gauges read from (the API's error budget); read at each scrape. */
  wrongHitsFrom(source: () => Promise<WrongHitEstimate[]>): void {
    this.wrongHitSource = source;
  }

  private collectWrongHits(): Promise<void> {
    this.wrongHitsRead ??= this.readWrongHits().finally(() => (this.wrongHitsRead = undefined));
    return this.wrongHitsRead;
  }

  private async readWrongHits(): Promise<void> {
    if (!this.wrongHitSource) return;
    const estimates = await this.wrongHitSource().catch(() => undefined);
    if (!estimates) return; // the verdicts unreadable: the last figures stay
    for (const g of [this.wrongHitRate, this.wrongHitUpper, this.auditedHits, this.auditedWrong, this.judgedCandidates, this.tenantFloor]) g.reset();
    for (const e of estimates) {
      const labels = { tenant: e.tenant };
      this.wrongHitRate.set(labels, e.rate);
      this.wrongHitUpper.set(labels, e.upper);
      this.auditedHits.set(labels, e.audited);
      this.auditedWrong.set(labels, e.wrong);
      this.judgedCandidates.set(labels, e.judged);
      if (e.floor !== undefined) this.tenantFloor.set(labels, e.floor);
    }
  }

  private collectFleet(): Promise<void> {
    this.fleetRead ??= this.readFleet().finally(() => (this.fleetRead = undefined));
    return this.fleetRead;
  }

  private async readFleet(): Promise<void> {
    if (!this.fleetSource) return;
    try {
      const { replicas, requests } = await this.fleetSource();
      this.fleetRequests.reset();
      for (const [tier, n] of Object.entries(requests)) this.fleetRequests.set({ tier }, n);
      this.fleetReplicas.set(replicas);
    } catch {
      // PostgreSQL away: the last figures stay rather than failing the whole scrape.
    }
  }

  workflowStarted(kind: string): void {
    if (kind === 'fill') this.fillsStarted.inc();
  }

  workflowFinished(kind: string, outcome: string): void {
    if (kind === 'audit') this.audits.inc({ outcome });
    else if (kind !== 'fill') this.maintenance.inc({ kind, outcome });
    else if (FAILED_OUTCOMES.has(outcome)) this.fillsFailed.inc({ outcome });
    else this.fillsCompleted.inc({ outcome });
  }

  /** Requests per tier in this process, for the admin stats' hit rates. */
  async requestsByTier(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const v of (await this.requests.get()).values) {
      const tier = String(v.labels.tier);
      counts[tier] = (counts[tier] ?? 0) + v.value;
    }
    return counts;
  }
}
