/**
 * Judged semantic hits (issue 28): what an audit or a free judgement found,
 * kept per tenant. The port here; files (fileVerdictStore.ts) and PostgreSQL
 * (pgVerdictStore.ts) beside it, each touching only its own files or table.
 * Verdicts are appended and read on from a cursor, so a replica learns what
 * other replicas' workers judged without reading everything again; an
 * activity retried after its append landed appends the same id again, and
 * readers count each id once.
 */
import type { JudgeKind } from '../judge/judge';

/**
 * `audit`: a served semantic hit, sampled at REFLEX_AUDIT_RATE and judged
 * against a fresh answer (a uniform sample of served hits: the estimate).
 * `free`: a candidate the base verifier accepted but the tenant's learned
 * floor refused, judged against the answer its miss paid for anyway.
 */
export type VerdictSource = 'audit' | 'free';

export interface Verdict {
  /** Unique per judgement (an audit's workflow and run, a free judgement's request); duplicates count once. */
  id: string;
  source: VerdictSource;
  tenant: string;
  /** The asked question's cache key. */
  key: string;
  /** The cache key of the entry that was served (or refused). */
  entryKey: string;
  model: string;
  /** The cosine L3 compared (what the floor applies to). */
  similarity: number;
  /** The model verifier's p(duplicate), where it ran. */
  verifierScore?: number;
  /** The served answer did not answer the asked question. */
  wrong: boolean;
  judge: JudgeKind;
  judgeScore: number;
  /** The audit stored the fresh answer as the asked question's entry. */
  repaired?: boolean;
  /** When it was judged (ms since the epoch). */
  at: number;
}

export interface VerdictPage {
  verdicts: Verdict[];
  /** Where the next read goes on from (opaque to callers). */
  cursor: string;
}

export interface VerdictStore {
  append(verdict: Verdict): Promise<void>;
  /** A tenant's verdicts written after `cursor` (none: from the first), oldest first. */
  read(tenant: string, cursor?: string): Promise<VerdictPage>;
  /** Every tenant with verdicts. */
  tenants(): Promise<string[]>;
  /** A tenant purge. */
  removeTenant(tenant: string): Promise<void>;
}

const TENANT = /^[0-9a-f]{16}$/;

/** Tenant ids are 16 hex characters; anything else never names a file or a row. */
export function assertTenant(tenant: string): void {
  if (!TENANT.test(tenant)) throw new Error(`invalid tenant ${tenant}`);
}

export const isTenant = (name: string) => TENANT.test(name);
