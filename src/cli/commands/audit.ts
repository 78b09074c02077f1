/**
 * `reflex audit report`: the wrong-hit estimate from the verdict store
 * (files under REFLEX_HOME, or PostgreSQL), per tenant and overall — what
 * /metrics and the dashboard show, without a running gateway. With
 * REFLEX_MAX_WRONG_HITS set, also each tenant's raised floor, and for a
 * strict tenant still closed, how many clean judgements would open it.
 */
import { ErrorBudget, type Estimate } from '../../cache/l3/budget/errorBudget';
import type { Config } from '../../config';
import { baseFloor } from '../../services';
import { openStores } from '../../stores';

export async function auditReport(config: Config, opts: { json: boolean }): Promise<void> {
  const stores = await openStores(config);
  try {
    const budget = new ErrorBudget(stores.verdicts, { delta: config.audit.maxWrongHits, base: baseFloor(config), start: config.audit.budgetStart, refreshMs: 0 });
    await budget.readAll();
    const estimates = budget.estimates();
    const delta = config.audit.maxWrongHits;
    process.stdout.write(opts.json ? `${JSON.stringify({ delta: delta ?? null, estimates }, null, 2)}\n` : table(estimates, delta));
  } finally {
    await stores.close();
  }
}

function table(rows: readonly Estimate[], delta: number | undefined): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const lines = [
    `wrong hits among audited semantic hits (95% upper bound: Wilson, one-sided)${delta === undefined ? '' : `; error budget δ = ${pct(delta)}`}`,
    '',
    ['tenant', 'audited', 'wrong', 'rate', 'upper 95%', 'judged', 'floor', 'to open'].map((h) => h.padEnd(18)).join(''),
    ...rows.map((r) =>
      [r.tenant, String(r.audited), String(r.wrong), pct(r.rate), r.audited ? pct(r.upper) : '—', String(r.judged), r.floor === undefined ? 'configured' : Number.isFinite(r.floor) ? r.floor.toFixed(4) : 'closed', r.toOpen === undefined ? '' : `${r.toOpen} clean`]
        .map((c) => c.padEnd(18))
        .join(''),
    ),
  ];
  return `${lines.join('\n')}\n`;
}
