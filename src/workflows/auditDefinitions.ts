/**
 * What the audit workflow (issue 28) and the code that starts it share:
 * input, result, id. Types and pure functions only, so the workflow bundle
 * and the API can both import it.
 */
import type { AuditedHit } from '../activities/audit';
import type { JudgeKind } from '../cache/l3/judge/judge';
import type { FillPolicy } from './definitions';

export const AUDIT_WORKFLOW = 'auditHitWorkflow';

export type AuditJudgeKind = JudgeKind;

/**
 * One served semantic hit, to be asked again and judged. The request (as the
 * caller sent it, with its semantic text and context) is a blob, like a
 * fill's; the served answer is read from its entry, so history holds
 * references only.
 */
export interface AuditInput extends AuditedHit {
  policy: Pick<FillPolicy, 'providerMaxAttempts' | 'providerTimeoutMs'>;
  requestId?: string;
}

export type AuditOutcome = 'right' | 'wrong' | 'wrong_repaired' | 'entry_gone';

export interface AuditResult {
  outcome: AuditOutcome;
  /** The judge's own number (cosine, p, or 1/0). */
  score?: number;
}

/** Readable in the UI's list, unique per audited hit: the asked question's key and a random tail. */
export const auditWorkflowId = (tenant: string, key: string, unique: string) => `audit-${tenant}-${key.slice(0, 16)}-${unique}`;
