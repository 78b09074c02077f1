/**
 * Starts audits of served semantic hits (issue 28): a sampled share
 * (REFLEX_AUDIT_RATE), within a per-tenant daily cap on audit calls
 * (REFLEX_AUDIT_DAILY_CAP, auditAllowance.ts), each an auditHitWorkflow with a readable id and
 * the question as its summary. afterHit decides synchronously and starts in
 * the background, after the hit's answer went out: an audit never delays a
 * hit, and a failure to start one is logged, never the caller's problem.
 */
import type { Client } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { fillRequestOf } from '../activities/fillRequest';
import type { BlobStore } from '../cache/storage/blobStore';
import { AUDIT_WORKFLOW, AuditInput, AuditJudgeKind, auditWorkflowId } from '../workflows/auditDefinitions';
import type { FillPolicy } from '../workflows/definitions';
import { startAttributes } from '../workflows/visibility';
import { LocalAllowance, type AuditAllowance } from './auditAllowance';
import { fillDetails, firstWords } from './fillLabels';
import type { VisibilitySupport } from './visibilitySupport';

export interface AuditSettings {
  taskQueue: string;
  rate: number;
  dailyCap: number;
  judge: AuditJudgeKind;
  repair: boolean;
  policy: Pick<FillPolicy, 'providerMaxAttempts' | 'providerTimeoutMs'>;
}

/** A semantic hit as the API served it. */
export interface ServedHit {
  tenant: string;
  key: string;
  context: string;
  semanticText: string;
  model: string;
  request: Record<string, unknown>;
  embedding?: Float32Array;
  embedder?: string;
  entryKey: string;
  similarity: number;
  /** The caller's token, sealed, where the caller pays the provider. */
  sealedToken?: string;
  requestId?: string;
  /** The gateway key's label, for the UI (never a token). */
  caller?: string;
}

export type AuditEvent = 'started' | 'capped' | 'failed';

export interface AuditClientOptions {
  log: Pick<Logger, 'warn'>;
  count?: (event: AuditEvent) => void;
  visibility?: VisibilitySupport;
  /** The daily cap's count; default: this replica's own. */
  allowance?: AuditAllowance;
  random?: () => number;
}

export class AuditClient {
  private readonly allowance: AuditAllowance;
  private readonly count: (event: AuditEvent) => void;
  private readonly random: () => number;

  constructor(
    private readonly client: Client,
    private readonly blobs: BlobStore,
    private readonly settings: AuditSettings,
    private readonly options: AuditClientOptions,
  ) {
    this.allowance = options.allowance ?? new LocalAllowance(settings.dailyCap);
    this.count = options.count ?? (() => undefined);
    this.random = options.random ?? Math.random;
  }

  /**
   * Samples the hit; a sampled one within its tenant's cap starts its audit
   * in the background. `describe` runs only for those (it seals a token).
   * Returns whether an audit was sampled and not refused at once by the cap
   * (a shared cap that must ask PostgreSQL decides in the background).
   */
  afterHit(tenant: string, describe: () => ServedHit): boolean {
    if (!(this.random() < this.settings.rate)) return false;
    const allowed = this.allowance.take(tenant);
    if (allowed === false) {
      this.count('capped');
      return false;
    }
    const hit = describe();
    // After this turn of the event loop: the hit's response is written first.
    setImmediate(() => void this.startAllowed(hit, allowed));
    return true;
  }

  private async startAllowed(hit: ServedHit, allowed: true | Promise<boolean>): Promise<void> {
    if (!(await allowed)) return this.count('capped');
    try {
      await this.start(hit);
      this.count('started');
    } catch (err) {
      this.count('failed');
      this.options.log.warn({ err: String(err), tenant: hit.tenant, requestId: hit.requestId }, 'audit not started');
    }
  }

  /** Starts the audit now; resolves with its workflow id. */
  async start(hit: ServedHit): Promise<string> {
    const request = fillRequestOf(hit);
    const input: AuditInput = {
      tenant: hit.tenant,
      key: hit.key,
      entryKey: hit.entryKey,
      model: hit.model,
      requestRef: await this.blobs.put(hit.tenant, request),
      sealedToken: hit.sealedToken,
      similarity: hit.similarity,
      judge: this.settings.judge,
      repair: this.settings.repair,
      policy: this.settings.policy,
      requestId: hit.requestId,
    };
    const workflowId = auditWorkflowId(hit.tenant, hit.key, randomBytes(4).toString('hex'));
    const labelled = await this.options.visibility?.available();
    await this.client.workflow.start(AUDIT_WORKFLOW, {
      workflowId,
      taskQueue: this.settings.taskQueue,
      args: [input],
      memo: { tenant: hit.tenant, model: hit.model, key: hit.key, entryKey: hit.entryKey, kind: 'audit', requestId: hit.requestId ?? null },
      staticSummary: auditSummary(hit),
      staticDetails: `${fillDetails({ question: hit.semanticText, request: hit.request })}\n\n**Served** entry \`${hit.entryKey.slice(0, 16)}…\` at cosine ${hit.similarity.toFixed(4)}`,
      ...(labelled ? { typedSearchAttributes: startAttributes({ tenant: hit.tenant, key: hit.key, model: hit.model, kind: 'audit' }) } : {}),
    });
    return workflowId;
  }
}

/** What the UI's workflow list shows: what is audited, and the question. */
export function auditSummary(hit: Pick<ServedHit, 'tenant' | 'model' | 'caller' | 'semanticText' | 'similarity'>): string {
  const who = hit.caller ?? `tenant ${hit.tenant.slice(0, 8)}`;
  return `audit · ${hit.model} · ${who} · “${firstWords(hit.semanticText, 10)}” (cosine ${hit.similarity.toFixed(3)})`;
}

