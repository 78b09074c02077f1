/**
 * The fill workflow's side effects. Each is small and idempotent, so Temporal
 * can retry it: the provider call (retried only for 429/5xx/transport
 * failures), embedding, the atomic entry write, and the Milvus upsert (keyed
 * by tenant/key, so a retry or a re-fill overwrites instead of duplicating).
 */
import { ApplicationFailure, activityInfo, log } from '@temporalio/activity';
import type { Embedder } from '../cache/embedding/embedder';
import type { BlobStore } from '../cache/storage/blobStore';
import type { Entry } from '../cache/storage/entry';
import type { EntryStore } from '../cache/storage/entryStore';
import type { Expiry } from '../cache/storage/expiry';
import { TOKEN_KEY_MISMATCH, TokenKeyMismatch, type TokenSeal } from '../provider/credentials';
import { ProviderFailure, UpstreamError, failureFromDetails, storageFailure } from '../provider/failure';
import type { Provider, ProviderEndpoint } from '../provider/provider';
import type { ChatCompletion } from '../wire/chat';
import type { VectorIndex } from '../cache/vectordb/index';
import { isCacheable } from '../provider/cacheability';
import { Indexable, indexRecordOf } from '../cache/vectordb/record';
import type { AnswerBoard, PostedAnswer } from './answerBoard';
import { createMaintenanceActivities } from './maintenance';
import { createAuditActivities, judgeRefused, type AuditSetup } from './audit';
import type { FillRequest } from './fillRequest';

export type { FillRequest } from './fillRequest';

export interface ActivityDeps {
  provider: Provider;
  /** The configured upstream key; when unset the caller's sealed token is used. */
  upstreamKey: string | undefined;
  seal: TokenSeal;
  embedder: Embedder;
  store: EntryStore;
  blobs: BlobStore;
  index: VectorIndex;
  expiry: Expiry;
  /** Set when an API in this process may be waiting for the answers (see answerBoard.ts). */
  answers?: AnswerBoard;
  /** Empties every store of a tenant (an admin purge; see maintenance.ts). */
  removeTenant(tenant: string): Promise<number>;
  /** The verdict store and the judges of audits (issue 28; see audit.ts). */
  audit?: AuditSetup;
}

export interface ProviderCall {
  /** Absent = chat completions. */
  endpoint?: ProviderEndpoint;
  request: Record<string, unknown>;
  sealedToken?: string;
  /** The API request that started the fill; only for logs. */
  requestId?: string;
}

export interface AnswerCall {
  tenant: string;
  key: string;
  requestRef: string;
  /** A prefetched answer: nobody is called. */
  answerRef?: string;
  sealedToken?: string;
  /** Check storage first: an earlier run may have stored the answer already. */
  guarded: boolean;
  requestId?: string;
  /** Absent = chat completions. */
  endpoint?: ProviderEndpoint;
  /** The local activity's attempt budget: a failure on the last attempt is final (absent: only non-retryable ones are). */
  maxAttempts?: number;
}

export type Obtained = { source: 'stored' } | { source: 'provider' | 'prefetched'; answerRef: string; cacheable: boolean };

export interface StoreCall {
  tenant: string;
  key: string;
  requestRef: string;
  answerRef: string;
}

export interface IndexCall extends Indexable {
  requestId?: string;
}

export function createActivities(deps: ActivityDeps) {
  const apiKeyOf = (sealedToken: string | undefined) => deps.upstreamKey ?? (sealedToken ? unseal(deps.seal, sealedToken) : undefined);
  const callProvider = async (call: ProviderCall): Promise<ChatCompletion> => {
    const apiKey = apiKeyOf(call.sealedToken);
    try {
      if (call.endpoint === 'responses') return await deps.provider.respond(call.request, apiKey);
      return await deps.provider.complete(call.request, apiKey);
    } catch (err) {
      if (!(err instanceof UpstreamError)) throw err;
      throw ApplicationFailure.create({
        message: err.message,
        type: err.failure.retryable ? 'ProviderServerError' : 'ProviderClientError',
        nonRetryable: !err.failure.retryable,
        details: [err.failure],
      });
    }
  };
  const storedAnswer = async (tenant: string, key: string): Promise<ChatCompletion | null> => {
    const entry = await deps.store.read(tenant, key);
    // An expired entry is refilled, never served.
    return entry && !deps.expiry.isExpired(entry) ? entry.response : null;
  };
  const fillRequest = async (tenant: string, ref: string): Promise<FillRequest> => {
    const request = await deps.blobs.get<FillRequest>(tenant, ref);
    if (!request) throw ApplicationFailure.create({ message: `the fill's request blob ${ref} is gone`, type: 'RequestBlobMissing', nonRetryable: true });
    return request;
  };

  const writeFilledEntry = async (call: StoreCall): Promise<Entry> => (await writeFilled(call)).entry;

  const writeFilled = async (call: StoreCall): Promise<{ entry: Entry; request: FillRequest }> => {
    const request = await fillRequest(call.tenant, call.requestRef);
    const response = await deps.blobs.get<ChatCompletion>(call.tenant, call.answerRef);
    if (!response) throw new Error(`the answer blob ${call.answerRef} is gone`);
    const [embedding, embedder] = request.embedding ? [request.embedding, request.embedder] : [Array.from(await deps.embedder.embed(request.semanticText)), deps.embedder.id];
    const entry: Entry = {
      version: 1,
      tenant: call.tenant,
      key: call.key,
      context: request.context,
      model: request.model,
      createdAt: Date.now(),
      semanticText: request.semanticText,
      embedding,
      ...(embedder ? { embedder } : {}),
      response,
    };
    await deps.store.write(entry);
    return { entry, request };
  };

  /** A refused candidate's free judgement, best effort: a lost one is one sample fewer, never a failed fill. */
  const judgeFree = async (call: StoreCall, { entry, request }: { entry: Entry; request: FillRequest }): Promise<void> => {
    if (!request.refused) return;
    const id = JSON.stringify(['free', thisRun() ?? `${call.key}:${call.answerRef}`]);
    const miss = { tenant: call.tenant, key: call.key, model: request.model, question: request.semanticText, fresh: entry.response, refused: request.refused, id };
    try {
      await judgeRefused({ store: deps.store, audit: deps.audit, apiKeyOf }, miss);
    } catch (err) {
      log.warn('free judgement failed', { error: String(err) });
    }
  };

  /** The answer and what the workflow records of it; see obtainAnswer. */
  const obtain = async (call: AnswerCall): Promise<{ obtained: Obtained; posted: PostedAnswer }> => {
    if (call.guarded && (await storedAnswer(call.tenant, call.key).catch(() => null))) return { obtained: { source: 'stored' }, posted: { stored: true } };
    if (call.answerRef) {
      const answer = await deps.blobs.get<ChatCompletion>(call.tenant, call.answerRef);
      if (!answer) throw ApplicationFailure.create({ message: `the prefetched answer blob ${call.answerRef} is gone`, type: 'RequestBlobMissing', nonRetryable: true });
      return obtainedFrom('prefetched', call.answerRef, answer);
    }
    const run = thisRun();
    const earlier = run ? await onStore(() => answerOfRun(deps.blobs, call.tenant, run)) : undefined;
    if (earlier) return obtainedFrom('provider', earlier.answerRef, earlier.answer);
    const { request } = await onStore(() => fillRequest(call.tenant, call.requestRef));
    const answer = await callProvider({ request, sealedToken: call.sealedToken, requestId: call.requestId, endpoint: call.endpoint });
    const answerRef = await onStore(() => (run ? deps.blobs.putForRun(call.tenant, run, answer) : deps.blobs.put(call.tenant, answer)));
    return obtainedFrom('provider', answerRef, answer);
  };

  const storeAndIndexEntry = async (call: StoreCall): Promise<{ indexed: boolean }> => {
    const written = await writeFilled(call);
    const indexed = await indexOnce(written.entry);
    await judgeFree(call, written); // after the index: the new entry is findable first
    return { indexed };
  };

  const indexOnce = async (entry: Entry): Promise<boolean> => {
    try {
      await deps.index.upsert([indexRecordOf(entry)]);
      return true;
    } catch (err) {
      log.warn('index after store failed; the index step will retry', { error: String(err) });
      return false;
    }
  };

  return {
    ...createMaintenanceActivities(deps),
    ...createAuditActivities({ ...deps, callProvider, apiKeyOf, storeAndIndex: indexedOrFail(storeAndIndexEntry) }),
    callProvider,

    /**
     * The claim-check fill's first step, run as a local activity: an answer
     * already stored, else the prefetched one, else the one this run already
     * obtained, else the provider's, written as a blob. Returns references
     * and a flag only. Whatever it ends with (an answer, "already stored", a
     * final failure) is posted on the board for a request of this process
     * waiting on the fill.
     *
     * Idempotent per run: a local activity's result is only durable once its
     * workflow task completes, and the client may have its answer before
     * that (answer board), so a task replayed after the worker or Temporal
     * died runs this again. The run marker written before anyone sees the
     * answer makes that replay reuse the answer instead of paying twice.
     */
    async obtainAnswer(call: AnswerCall): Promise<Obtained> {
      try {
        const { obtained, posted } = await obtain(call);
        if (deps.answers) postAnswer(deps.answers, posted);
        return obtained;
      } catch (err) {
        if (deps.answers && isFinal(err, call.maxAttempts)) postAnswer(deps.answers, { failure: finalFailureOf(err) });
        throw err;
      }
    },

    /** Builds the entry from the request and answer blobs (embedding the question if the API could not) and writes it. */
    async storeEntry(call: StoreCall): Promise<void> {
      await writeFilledEntry(call);
    },

    /**
     * storeEntry, then one try to index the entry. A failed index does not
     * fail the step (the entry is stored): the workflow then runs the index
     * activity with its own retry budget.
     */
    storeAndIndexEntry,

    /** The stored answer for (tenant, key), if a previous fill already wrote it (pre-claim-check fills). */
    async readStoredAnswer(address: { tenant: string; key: string }): Promise<ChatCompletion | null> {
      return storedAnswer(address.tenant, address.key);
    },

    async embed(text: string): Promise<number[]> {
      return Array.from(await deps.embedder.embed(text));
    },

    async writeEntry(entry: Entry): Promise<void> {
      await deps.store.write(entry);
    },

    async indexEntry(call: IndexCall): Promise<void> {
      await deps.index.upsert([indexRecordOf(call)]);
    },
  };
}

export type FillActivities = ReturnType<typeof createActivities>;

/** A repair has no index step of its own: an index that failed fails the activity, and its retry writes both again. */
function indexedOrFail(step: (call: StoreCall) => Promise<{ indexed: boolean }>) {
  return async (call: StoreCall): Promise<void> => {
    if (!(await step(call)).indexed) throw new Error('the repaired entry is stored but not indexed yet');
  };
}

/** Hands the answer to a request of this process waiting on this fill, if any (see answerBoard.ts). */
function postAnswer(board: AnswerBoard, posted: PostedAnswer): void {
  const fill = activityInfo().workflowExecution?.workflowId;
  if (fill) board.post(fill, posted);
}

/**
 * A step of obtainAnswer on the entry store: a failure there (PostgreSQL down)
 * is retried like any, but carries a storage failure, so a final one reaches
 * the client as a 503 storage_unavailable, not as the provider's 502.
 */
async function onStore<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof ApplicationFailure) throw err;
    throw ApplicationFailure.retryable(err instanceof Error ? err.message : String(err), 'StorageUnavailable', storageFailure(err));
  }
}

/** No retry follows this failure: it is non-retryable, or this was the last attempt. */
function isFinal(err: unknown, maxAttempts: number | undefined): boolean {
  if (err instanceof ApplicationFailure && err.nonRetryable) return true;
  return maxAttempts !== undefined && maxAttempts > 0 && activityInfo().attempt >= maxAttempts;
}

/** What the client is told of a final failure: the workflow reads the same details (workflows/fillSteps failureDetails). */
function finalFailureOf(err: unknown): ProviderFailure {
  const details = err instanceof ApplicationFailure ? err.details?.[0] : undefined;
  return failureFromDetails(details, err instanceof Error ? err.message : 'provider call failed');
}

/** The fill run this activity belongs to, as the run marker's name (only its hash reaches the disk). */
function thisRun(): string | undefined {
  const run = activityInfo().workflowExecution;
  return run?.workflowId && run.runId ? JSON.stringify([run.workflowId, run.runId]) : undefined;
}

/**
 * The answer this run already obtained, if its marker and blob are both
 * still there; a marker whose blob was swept counts as none (the provider is
 * asked again rather than the fill failing).
 */
async function answerOfRun(blobs: BlobStore, tenant: string, run: string): Promise<{ answerRef: string; answer: ChatCompletion } | undefined> {
  const answerRef = await blobs.runAnswer(tenant, run);
  const answer = answerRef ? await blobs.get<ChatCompletion>(tenant, answerRef) : undefined;
  return answerRef && answer ? { answerRef, answer } : undefined;
}

const obtainedFrom = (source: 'provider' | 'prefetched', answerRef: string, answer: ChatCompletion) => ({
  obtained: { source, answerRef, cacheable: isCacheable(answer) },
  posted: { answerRef, answer },
});

/** A key mismatch is a deployment error: retrying cannot help, and the client must be told plainly. */
function unseal(seal: TokenSeal, sealed: string): string {
  try {
    return seal.unseal(sealed);
  } catch (err) {
    if (!(err instanceof TokenKeyMismatch)) throw err;
    throw ApplicationFailure.create({ message: err.message, type: TOKEN_KEY_MISMATCH, nonRetryable: true, details: [err.toFailure()] });
  }
}
