/**
 * What the fill workflow and its callers share: inputs, results, and the
 * update/query definitions. Types and definitions only, nothing with side
 * effects, so both the workflow bundle and the API can import it.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ProviderEndpoint } from '../provider/provider';
import type { ChatCompletion } from '../wire/chat';

export const FILL_WORKFLOW = 'cacheFillWorkflow';

export interface FillPolicy {
  providerMaxAttempts: number;
  providerTimeoutMs: number;
  /** 0 = keep retrying until Milvus answers. */
  indexMaxAttempts: number;
}

/**
 * A fill's input since the claim check (patch CLAIM_CHECK_PATCH): references
 * and small metadata only. The request (with the API's embedding) and a
 * prefetched answer are blobs in the entry store (see cache/storage/blobStore).
 */
export interface FillInput {
  /** Which provider endpoint answers; absent = chat completions (every fill before the Responses API). */
  endpoint?: ProviderEndpoint;
  tenant: string;
  key: string;
  model: string;
  /** Blob: a FillRequest. */
  requestRef: string;
  /** Blob: the provider's complete answer, already fetched (a streamed miss, a drained outbox record): store it, call nobody. */
  answerRef?: string;
  /** The request blob carries the API's embedding, so the store step does not embed. */
  embedded: boolean;
  /** The caller's bearer token, sealed (see provider/credentials); absent when an upstream key is configured. */
  sealedToken?: string;
  policy: FillPolicy;
  requestId?: string;
  /**
   * A random id of the request that started this run: an `answer` update
   * asked by any other caller (AnswerAsk) joined it, and its answer says so.
   */
  starter?: string;
  /** Cache-Control: no-cache / X-Reflex-Cache: refresh: overwrite an existing entry. */
  replace?: boolean;
  /** false for Cache-Control: no-store / bypass: answer, never store. */
  store?: boolean;
  /**
   * The whole fill in its first workflow task: store and index run as a local
   * activity right after the answer, and no patch marker is written (the
   * field marks the version; runs started without it replay as before). Set
   * where no caller waits on the `answer` update, whose result only leaves
   * with the task (an eager start answered through this process's board, a
   * hand-off); one task and no activity task is about half the Temporal work
   * of a fill (BENCHMARKS.md, misses under load).
   */
  inOneTask?: boolean;
  /**
   * Started with ReflexOutcome already `cached` (PRESUMED_OUTCOME), the end
   * nearly every fill has: one that ends so upserts neither memo nor search
   * attributes (two history events of nine, and their work on the worker and
   * the server); any other end still records its outcome and steps. The
   * field marks the version, as `inOneTask` does.
   */
  outcomeAtStart?: boolean;
}

/** What ReflexOutcome says from the start of a run with `outcomeAtStart` (read it with ExecutionStatus: open runs have not ended). */
export const PRESUMED_OUTCOME = 'cached';

/**
 * The `answer` update's result since the claim check: where the answer is,
 * never the answer itself; `joined` when the caller did not start the run
 * (it shares another request's provider call: saved, not paid).
 */
export type AnswerRef = ({ answerRef: string } | { stored: true }) & { joined?: true };

/** The `answer` update's argument: the asking request's id, compared with FillInput.starter. */
export interface AnswerAsk {
  caller?: string;
}

/** Patch id of the claim-check fill (provider call as a local activity, references in history). */
export const CLAIM_CHECK_PATCH = 'fill-claim-check';

/**
 * Patch id of the fill whose store step also indexes (one activity and one
 * workflow task fewer after the answer); the index activity then runs only
 * when that first try to index failed.
 */
export const ONE_WRITE_STEP_PATCH = 'fill-one-write-step';

/** The fill input before the claim check; runs started with it replay the old code path. */
export interface LegacyFillInput {
  /** Which provider endpoint answers; absent = chat completions. */
  endpoint?: ProviderEndpoint;
  tenant: string;
  key: string;
  context: string;
  model: string;
  semanticText: string;
  /** The caller's request, forwarded to the provider unchanged. */
  request: Record<string, unknown>;
  /** The caller's bearer token, sealed (see secrets/tokenSeal); absent when an upstream key is configured. */
  sealedToken?: string;
  /** The query embedding the API already computed; the workflow embeds only when it is absent. */
  embedding?: number[];
  policy: FillPolicy;
  requestId?: string;
  /** The provider's complete answer, already fetched by the API (a streamed miss): store it, call nobody. */
  prefetched?: ChatCompletion;
  /** Cache-Control: no-cache / X-Reflex-Cache: refresh: overwrite an existing entry. */
  replace?: boolean;
  /** false for Cache-Control: no-store / bypass: answer, never store. */
  store?: boolean;
}

export type StepOutcome = 'pending' | 'done' | 'skipped' | 'failed';

export interface FillStatus {
  provider: StepOutcome;
  embed: StepOutcome;
  store: StepOutcome;
  index: StepOutcome;
}

export type FillOutcome = 'cached' | 'already_cached' | 'not_cacheable' | 'not_stored' | 'provider_failed';
/** How a fill ends Failed: its answer reached the client, but the entry is not (fully) written. */
export type FillFailedOutcome = 'store_failed' | 'index_failed';

/** The failure type of a fill whose store or index retry budget ran out; `reflex replay` looks for these. */
export const WRITE_FAILURE_TYPE = 'EntryWriteFailed';

export interface FillResult {
  outcome: FillOutcome;
  steps: FillStatus;
}

/** The failure type of an `answer` update whose provider call failed; details[0] is the ProviderFailure. */
export const PROVIDER_FAILURE_TYPE = 'ProviderFailure';

/** Update: returns as soon as the provider's answer exists (early return): an AnswerRef, or the answer itself from a pre-claim-check run. */
export const answerUpdate = defineUpdate<AnswerRef | ChatCompletion, [AnswerAsk?]>('answer');

export const isLegacyInput = (input: FillInput | LegacyFillInput): input is LegacyFillInput => !('requestRef' in input);
/** Query: where the fill is, step by step. */
export const statusQuery = defineQuery<FillStatus>('status');

/** No-store fills get their own id, so a storing request never joins a fill that will not store. */
export const fillWorkflowId = (tenant: string, key: string, store = true) => `fill-${tenant}-${key}${store ? '' : '-nostore'}`;

/**
 * A refresh runs under an id of its own (`unique`: 16 hex), never joining an
 * open fill of the same key: that fill would answer with the old entry.
 */
export const refreshWorkflowId = (tenant: string, key: string, unique: string) => `refresh-${tenant}-${key}-${unique}`;

const STORING_FILL_ID = /^(?:fill-([0-9a-f]{16})-([0-9a-f]{64})|refresh-([0-9a-f]{16})-([0-9a-f]{64})-[0-9a-f]{16})$/;

/** Tenant and key of a fill that stores (a plain fill or a refresh); undefined for no-store fills and other ids. */
export function storingFillOf(workflowId: string): { tenant: string; key: string } | undefined {
  const m = STORING_FILL_ID.exec(workflowId);
  return m ? { tenant: (m[1] ?? m[3])!, key: (m[2] ?? m[4])! } : undefined;
}
