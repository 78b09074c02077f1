/**
 * The per-tenant daily allowance of audit calls (REFLEX_AUDIT_DAILY_CAP):
 * each audit is a provider call no client asked for, so a tenant's are
 * bounded. Alone, a replica counts in memory by UTC day. With PostgreSQL the
 * replicas share one count (auth/leasedCount: points leased in batches, one
 * upsert per batch, a window of a day from its first lease), so the cap
 * holds for the fleet, not per replica; while PostgreSQL cannot answer, each
 * replica counts on its own again (audits degrade, they never stop hits).
 */
import type { Logger } from 'pino';
import type { LeasedCount } from '../auth/leasedCount';

export interface AuditAllowance {
  /** One audit call for the tenant, if its allowance has one left (decided at once where it can be). */
  take(tenant: string): boolean | Promise<boolean>;
}

const DAY_MS = 86_400_000;

export class LocalAllowance implements AuditAllowance {
  private readonly spent = new Map<string, number>();
  private day = utcDay();

  constructor(private readonly dailyCap: number) {}

  take(tenant: string): boolean {
    const today = utcDay();
    if (today !== this.day) {
      this.day = today;
      this.spent.clear();
    }
    const used = this.spent.get(tenant) ?? 0;
    if (used >= this.dailyCap) return false;
    this.spent.set(tenant, used + 1);
    return true;
  }
}

export class SharedAllowance implements AuditAllowance {
  private readonly local: LocalAllowance;

  constructor(
    private readonly leased: LeasedCount,
    private readonly dailyCap: number,
    private readonly log?: Pick<Logger, 'warn'>,
  ) {
    this.local = new LocalAllowance(dailyCap);
  }

  take(tenant: string): boolean | Promise<boolean> {
    if (this.dailyCap === 0) return false;
    const id = `audit:${tenant}`;
    const now = this.leased.takeNow(id, this.dailyCap);
    if (now) return now.allowed;
    return this.leased.take(id, this.dailyCap).then(
      (decision) => decision.allowed,
      (err: unknown) => {
        this.log?.warn({ err: String(err), tenant }, 'shared audit allowance unreadable; counting on this replica');
        return this.local.take(tenant);
      },
    );
  }
}

/** A day's window for the shared count (LeasedCount's window is the limit's period). */
export const SHARED_WINDOW_MS = DAY_MS;

const utcDay = () => Math.floor(Date.now() / DAY_MS);
