/**
 * The audit workflow's side effects (issue 28): ask the provider again with
 * the hit's own request, judge the fresh answer against the served one and
 * append the verdict, repair a wrong hit. Each is idempotent per run (see
 * workflows/audit.ts).
 */
import { ApplicationFailure, activityInfo } from '@temporalio/activity';
import type { Embedder } from '../cache/embedding/embedder';
import type { BlobStore } from '../cache/storage/blobStore';
import type { EntryStore } from '../cache/storage/entryStore';
import { CrossEncoder } from '../cache/l3/crossEncoder';
import { DEFAULT_GUARDS, guardsByName } from '../cache/l3/guards';
import { CrossEncoderJudge, EmbeddingJudge } from '../cache/l3/judge/cheapJudges';
import type { Judge, JudgeKind } from '../cache/l3/judge/judge';
import type { Verdict, VerdictStore } from '../cache/l3/budget/verdicts';
import { EMBEDDING_JUDGE_THRESHOLD, MODEL_JUDGE_THRESHOLD } from '../config';
import { isCacheable } from '../provider/cacheability';
import type { Provider } from '../provider/provider';
import { judgedText } from '../wire/answerText';
import type { ChatCompletion } from '../wire/chat';
import { LlmJudge } from './llmJudge';
import type { FillRequest, ProviderCall, StoreCall } from './index';
import type { RefusedForJudging } from './fillRequest';

/** Where verdicts go and who judges: only a worker that runs audits has them. */
export interface AuditSetup {
  verdicts: VerdictStore;
  judges: Judges;
}

export interface AuditDeps {
  blobs: BlobStore;
  store: EntryStore;
  audit?: AuditSetup;
  /** The fill activities' provider call (credentials unsealed there, failures classified there). */
  callProvider(call: ProviderCall): Promise<ChatCompletion>;
  /** The fill activities' store + index of an entry from a request blob and an answer blob. */
  storeAndIndex(call: StoreCall): Promise<unknown>;
  /** The key the provider is paid with (the configured one, or the caller's unsealed token). */
  apiKeyOf(sealedToken: string | undefined): string | undefined;
}

/** A served semantic hit to audit, as the workflow's input carries it. */
export interface AuditedHit {
  tenant: string;
  /** The asked question's cache key (what a repair stores under). */
  key: string;
  /** The key of the entry the hit served. */
  entryKey: string;
  model: string;
  /** Blob: a FillRequest (the caller's request, context, semantic text, its embedding). */
  requestRef: string;
  /** The caller's bearer token, sealed (provider/credentials); absent when an upstream key is configured. */
  sealedToken?: string;
  /** The cosine L3 accepted. */
  similarity: number;
  judge: JudgeKind;
  /** Store the fresh answer as the asked question's entry when the served one was wrong. */
  repair: boolean;
}

/** Judging needs the hit and where the provider's fresh answer is. */
export type JudgeHitCall = AuditedHit & { freshRef: string };

export interface AskAgain {
  tenant: string;
  requestRef: string;
  sealedToken?: string;
  requestId?: string;
}

export function createAuditActivities(deps: AuditDeps) {
  const setup = (): AuditSetup => {
    if (!deps.audit) throw ApplicationFailure.create({ message: 'this worker was started without audits (no verdict store)', type: 'AuditsNotConfigured' });
    return deps.audit;
  };
  return {
    /** The provider's fresh answer to the hit's request, as a blob; a retried or replayed run reuses the one it stored. */
    async askAgain(call: AskAgain): Promise<{ answerRef: string; cacheable: boolean; source: 'provider' | 'reused' }> {
      const run = thisRun();
      const earlier = await deps.blobs.runAnswer(call.tenant, run);
      const stored = earlier ? await deps.blobs.get<ChatCompletion>(call.tenant, earlier) : undefined;
      if (earlier && stored) return { answerRef: earlier, cacheable: isCacheable(stored), source: 'reused' };
      const { request } = await requestOf(deps.blobs, call.tenant, call.requestRef);
      // Asked as JSON whatever the hit was: the judge reads a whole answer.
      const { stream: _stream, stream_options: _options, ...json } = request;
      const answer = await deps.callProvider({ request: json, sealedToken: call.sealedToken, requestId: call.requestId });
      return { answerRef: await deps.blobs.putForRun(call.tenant, run, answer), cacheable: isCacheable(answer), source: 'provider' };
    },

    /** Judges the served entry's answer against the fresh one and appends the verdict (under the run's id: counted once). */
    async judgeHit(call: JudgeHitCall): Promise<{ outcome: 'judged' | 'entry_gone'; wrong: boolean; score: number }> {
      const entry = await deps.store.read(call.tenant, call.entryKey);
      const fresh = await deps.blobs.get<ChatCompletion>(call.tenant, call.freshRef);
      if (!fresh) throw ApplicationFailure.create({ message: `the audit's fresh answer ${call.freshRef} is gone`, type: 'RequestBlobMissing', nonRetryable: true });
      // Deleted or replaced since it was served: nothing to say about that hit.
      if (!entry) return { outcome: 'entry_gone', wrong: false, score: 0 };
      const { semanticText } = await requestOf(deps.blobs, call.tenant, call.requestRef);
      const { judges, verdicts } = setup();
      const judge = await judges.get(call.judge);
      const pair = { question: semanticText, served: judgedText(entry.response) ?? '', fresh: judgedText(fresh) ?? '' };
      const judged = await judge.judge(pair, { model: call.model, apiKey: deps.apiKeyOf(call.sealedToken) });
      const verdict: Verdict = {
        id: thisRun(),
        source: 'audit',
        tenant: call.tenant,
        key: call.key,
        entryKey: call.entryKey,
        model: call.model,
        similarity: call.similarity,
        wrong: !judged.same,
        judge: judge.kind,
        judgeScore: judged.score,
        repaired: !judged.same && call.repair ? true : undefined,
        at: Date.now(),
      };
      await verdicts.append(verdict);
      return { outcome: 'judged', wrong: verdict.wrong, score: judged.score };
    },

    /** The fresh answer as the asked question's own entry (stored and indexed): that question is no longer served the wrong one. */
    async repairEntry(call: StoreCall): Promise<void> {
      await deps.storeAndIndex(call);
    },
  };
}

export type AuditActivities = ReturnType<typeof createAuditActivities>;

/** The miss whose fresh answer a refused candidate is judged against. */
export interface JudgedMiss {
  tenant: string;
  key: string;
  model: string;
  question: string;
  fresh: ChatCompletion;
  refused: RefusedForJudging;
  /** Unique per miss (its fill run): a retried store step appends the same id, counted once. */
  id: string;
}

/**
 * A free judgement (issue 28): a candidate the tenant's error-budget floor
 * refused, judged against the answer its miss paid for anyway, and appended
 * as a `free` verdict — what a strict budget learns its floor from without a
 * provider call of its own. The LLM judge asks the provider, so it judges
 * here only with the configured upstream key (a caller's token is not
 * carried into the store step). Throws on failure; the caller decides.
 */
export async function judgeRefused(deps: Pick<AuditDeps, 'store' | 'audit' | 'apiKeyOf'>, miss: JudgedMiss): Promise<'judged' | 'skipped'> {
  const apiKey = deps.apiKeyOf(undefined);
  if (!deps.audit || (miss.refused.judge === 'llm' && !apiKey)) return 'skipped';
  const entry = await deps.store.read(miss.tenant, miss.refused.entryKey);
  if (!entry) return 'skipped'; // deleted or replaced since: nothing to say about it
  const [served, fresh] = [judgedText(entry.response), judgedText(miss.fresh)];
  if (served === undefined || fresh === undefined) return 'skipped'; // nothing to compare: no sample rather than a guessed one
  const judge = await deps.audit.judges.get(miss.refused.judge);
  const pair = { question: miss.question, served, fresh };
  const judged = await judge.judge(pair, { model: miss.model, apiKey });
  await deps.audit.verdicts.append({
    id: miss.id,
    source: 'free',
    tenant: miss.tenant,
    key: miss.key,
    entryKey: miss.refused.entryKey,
    model: miss.model,
    similarity: miss.refused.similarity,
    wrong: !judged.same,
    judge: judge.kind,
    judgeScore: judged.score,
    at: Date.now(),
  });
  return 'judged';
}

/** The judges, each made on first use: a worker that never audits with the cross-encoder never loads it. */
export class Judges {
  private readonly made = new Map<JudgeKind, Promise<Judge>>();

  constructor(private readonly sources: { embedder: Embedder; provider: Provider; verifierModels: string; threads?: number }) {}

  get(kind: JudgeKind): Promise<Judge> {
    let judge = this.made.get(kind);
    if (!judge) {
      judge = this.make(kind);
      judge.catch(() => this.made.delete(kind)); // a failed load is tried again by the activity's retry
      this.made.set(kind, judge);
    }
    return judge;
  }

  private async make(kind: JudgeKind): Promise<Judge> {
    const guards = guardsByName(DEFAULT_GUARDS);
    if (kind === 'embedding') return new EmbeddingJudge(this.sources.embedder, EMBEDDING_JUDGE_THRESHOLD, guards);
    if (kind === 'model') return new CrossEncoderJudge(await CrossEncoder.load(this.sources.verifierModels, undefined, this.sources.threads), MODEL_JUDGE_THRESHOLD, guards);
    return new LlmJudge(this.sources.provider);
  }
}

async function requestOf(blobs: BlobStore, tenant: string, ref: string): Promise<FillRequest> {
  const request = await blobs.get<FillRequest>(tenant, ref);
  if (!request) throw ApplicationFailure.create({ message: `the audit's request blob ${ref} is gone`, type: 'RequestBlobMissing', nonRetryable: true });
  return request;
}

/** This run, as the run marker's name and the verdict's id. */
function thisRun(): string {
  const run = activityInfo().workflowExecution;
  if (!run?.workflowId || !run.runId) throw new Error('an audit activity runs inside its workflow');
  return JSON.stringify([run.workflowId, run.runId]);
}
