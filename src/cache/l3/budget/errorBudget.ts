/**
 * The live estimate and the error budget (issue 28), per tenant: verdicts
 * read on from the verdict store (whichever worker of whichever replica
 * appended them), counted once per id; the wrong-hit rate of audited
 * semantic hits with its 95% Wilson upper bound; and, with
 * REFLEX_MAX_WRONG_HITS, the cosine floor L3 applies to that tenant. The hit
 * path reads the floor from memory; reading the store happens on a timer and
 * at each /metrics scrape, never on a hit.
 *
 * Two ways to start (REFLEX_BUDGET_START). `strict`: a tenant gets no
 * semantic hits until its judgements (audits, and the free judgements of
 * candidates the floor refused) show a floor that keeps them under δ with
 * 95% confidence (learnedFloor). `open`: the configured floor serves until
 * audited wrong hits push the bound past δ (budgetFloor): more hits early,
 * and the wrong ones served before the audits catch up (BENCHMARKS.md).
 */
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import type { BUDGET_STARTS } from '../../../config';
import type { WrongHitEstimate } from '../../../metrics';
import { budgetFloor, cleanToOpen, CLOSED, floorGrid, learnedFloor, type Judged } from './learnedFloor';
import type { Verdict, VerdictStore } from './verdicts';
import { wilsonUpper } from './wilson';

/** Per tenant or "all": audited, wrong, their rate, its 95% Wilson upper bound, and the floor the budget raised. */
export type Estimate = WrongHitEstimate;

export interface BudgetOptions {
  /** δ (REFLEX_MAX_WRONG_HITS); undefined: estimate only, floors never move. */
  delta?: number;
  /** The floor L3 starts from (the verifier's own). */
  base: number;
  /** How often verdicts are read on. */
  refreshMs: number;
  /** How a tenant starts (see above); default strict. */
  start?: BudgetStart;
}

export type BudgetStart = (typeof BUDGET_STARTS)[number];

interface TenantState {
  cursor?: string;
  /** Ids of the latest verdicts: a retried append repeats one soon after the first. */
  ids: LRUCache<string, true>;
  /** Verdicts counted, ever (how readAll sees progress). */
  counted: number;
  /** Audited hits: a uniform sample of what was served (the estimate). */
  audited: Judged[];
  /** Audited hits and free judgements: what a strict start learns its floor from. */
  judged: Judged[];
  floor?: number;
}

export class ErrorBudget {
  private readonly tenants = new Map<string, TenantState>();
  private timer?: NodeJS.Timeout;
  private reading?: Promise<void>;

  constructor(
    private readonly verdicts: VerdictStore,
    private readonly options: BudgetOptions,
    private readonly log?: Pick<Logger, 'warn'>,
  ) {}

  /** The tenant's floor, if the budget raised it: what L3 compares a candidate's cosine with instead of the configured floor. */
  floorFor(tenant: string): number | undefined {
    const state = this.tenants.get(tenant);
    if (state) return state.floor;
    // A tenant nothing was judged for yet: closed when it starts strict.
    return this.options.delta !== undefined && this.startsStrict ? CLOSED : undefined;
  }

  private get startsStrict(): boolean {
    return (this.options.start ?? 'strict') === 'strict';
  }

  start(): void {
    this.timer ??= setInterval(() => void this.refresh(), this.options.refreshMs);
    this.timer.unref();
    void this.refresh();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reads what was appended since the last read (one read at a time; a caller during one waits for it). */
  refresh(): Promise<void> {
    this.reading ??= this.readOn().finally(() => (this.reading = undefined));
    return this.reading;
  }

  /** Reads until every tenant's verdicts are in (a command's one-off report; the API reads on a timer). */
  async readAll(): Promise<void> {
    for (let before = -1, now = this.total(); now !== before; before = now, now = this.total()) await this.refresh();
  }

  private total(): number {
    return [...this.tenants.values()].reduce((n, s) => n + s.counted, 0);
  }

  /** Per tenant, then "all". */
  estimates(): Estimate[] {
    const rows = [...this.tenants].map(([tenant, s]) => ({ ...estimateOf(tenant, s.audited, s.judged.length, s.floor), ...this.toOpen(s) }));
    const states = [...this.tenants.values()];
    return [...rows, estimateOf('all', states.flatMap((s) => s.audited), states.reduce((n, s) => n + s.judged.length, 0))];
  }

  private async readOn(): Promise<void> {
    try {
      const tenants = await this.verdicts.tenants();
      // A purged tenant's verdicts are gone: so is what was counted of them (and its floor).
      for (const gone of [...this.tenants.keys()].filter((t) => !tenants.includes(t))) this.tenants.delete(gone);
      for (const tenant of tenants) {
        const state = this.tenants.get(tenant) ?? this.tenants.set(tenant, { ids: new LRUCache({ max: 2 * KEPT_JUDGEMENTS }), counted: 0, audited: [], judged: [], floor: this.floorFor(tenant) }).get(tenant)!;
        const page = await this.verdicts.read(tenant, state.cursor);
        state.cursor = page.cursor;
        const added = page.verdicts.filter((v) => this.add(state, v)).length;
        if (added === 0) continue;
        state.floor = this.floorOf(state);
      }
    } catch (err) {
      this.log?.warn({ err: String(err) }, 'verdicts unreadable; the wrong-hit estimate and floors stay as they were');
    }
  }

  private floorOf(state: TenantState): number | undefined {
    const { delta, base } = this.options;
    if (delta === undefined) return undefined;
    return this.startsStrict ? learnedFloor(state.judged, delta, base) : budgetFloor(state.audited, delta, base);
  }

  /** A closed strict tenant: how many clean judgements at or above the configured floor would open it (the dashboard's "to open"). */
  private toOpen(state: TenantState): { toOpen?: number } {
    const { delta, base } = this.options;
    if (delta === undefined || !this.startsStrict || state.floor !== CLOSED) return {};
    const atBase = state.judged.filter((j) => j.similarity >= base);
    return { toOpen: cleanToOpen(atBase.filter((j) => j.wrong).length, atBase.length, delta, floorGrid(base).length) };
  }

  /** Counts a verdict once (a retried append repeats its id); whether it was new. */
  private add(state: TenantState, v: Verdict): boolean {
    if (state.ids.has(v.id)) return false;
    state.ids.set(v.id, true);
    state.counted++;
    const judged = { similarity: v.similarity, wrong: v.wrong };
    keepLatest(state.judged, judged);
    if (v.source === 'audit') keepLatest(state.audited, judged);
    return true;
  }
}

/**
 * Judgements kept per tenant, the latest: memory stays bounded however long
 * a replica runs, and the floor and the estimate follow what its traffic is
 * now (a strict floor needs about a thousand).
 */
export const KEPT_JUDGEMENTS = 50_000;

function keepLatest(list: Judged[], judged: Judged): void {
  list.push(judged);
  // Trimmed in steps, not one shift per verdict.
  if (list.length > KEPT_JUDGEMENTS * 1.1) list.splice(0, list.length - KEPT_JUDGEMENTS);
}

export function estimateOf(tenant: string, audited: readonly Judged[], judged: number, floor?: number): Estimate {
  const wrong = audited.filter((j) => j.wrong).length;
  const n = audited.length;
  return { tenant, audited: n, wrong, rate: n ? wrong / n : 0, upper: wilsonUpper(wrong, n), judged, ...(floor !== undefined ? { floor } : {}) };
}
