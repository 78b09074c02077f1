/**
 * How a workflow reports itself without side effects of its own: the memo and
 * Keyword search attributes the Temporal UI filters on, and a metrics sink the
 * worker turns into Prometheus counters (sink calls are skipped on replay, so
 * a counter moves once per real event).
 */
import { proxySinks, Sinks, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { reflexAttributes } from './visibility';

export interface MetricsSink extends Sinks {
  metrics: {
    workflowStarted(kind: string): void;
    workflowFinished(kind: string, outcome: string): void;
    /** An `answer` update that joined a fill another request had started. */
    coalesced(): void;
  };
}

export const { metrics } = proxySinks<MetricsSink>();

/** Memo always; the outcome attribute only when the run was started with Reflex attributes (the cluster has them). */
export function record(memo: Record<string, unknown>, outcome?: string): void {
  upsertMemo(outcome ? { ...memo, outcome } : memo);
  if (outcome && workflowInfo().typedSearchAttributes.get(reflexAttributes.kind) !== undefined) {
    upsertSearchAttributes([{ key: reflexAttributes.outcome, value: outcome }]);
  }
}
