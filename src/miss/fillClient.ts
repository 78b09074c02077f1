/**
 * The miss path's entry into Temporal: the request goes to the entry store's
 * blobs (claim check), then update-with-start on the fill workflow (conflict
 * policy USE_EXISTING, id from tenant + key) waits only for the answer's
 * reference, and the answer is read back from storage. A refresh gets an id
 * of its own (see fillIdFor) and never joins. Temporal and provider failures
 * become typed gateway errors with the status the client should see.
 */
import { Client, WithStartWorkflowOperation, WorkflowStartOptions } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import type { BlobStore } from '../cache/storage/blobStore';
import type { EntryStore } from '../cache/storage/entryStore';
import { withDeadline } from '../deadline';
import { temporalFailure } from '../temporal/failures';
import { GatewayError, unavailable } from '../errors';
import { providerError } from '../provider/failure';
import { fillRequestOf } from '../activities/fillRequest';
import type { AnswerBoard, PostedAnswer } from '../activities/answerBoard';
import type { cacheFillWorkflow } from '../workflows/fill';
import { FillOrigin, reflexAttributes, startAttributes } from '../workflows/visibility';
import { FillKind, fillDetails, fillSummary } from '../temporal/fillLabels';
import type { VisibilitySupport } from '../temporal/visibilitySupport';
import { fillIdFor, type MissSpec } from './missSpec';
import {
  AnswerRef,
  FILL_WORKFLOW,
  FillInput,
  FillPolicy,
  PRESUMED_OUTCOME,
  answerUpdate,
} from '../workflows/definitions';
import type { ChatCompletion } from '../wire/chat';

/**
 * The update's result, or the outcome this process's worker posted first (the
 * update then still settles; its outcome was already delivered).
 */
async function firstAnswer(update: Promise<AnswerRef | ChatCompletion>, posted: Promise<PostedAnswer>): Promise<AnswerRef | ChatCompletion> {
  const winner = await Promise.race([update, posted.then(postedAnswer)]);
  update.catch(() => undefined);
  return winner;
}

/** A posted outcome as the update would have returned it (a final provider failure throws the same error). */
function postedAnswer(posted: PostedAnswer): AnswerRef | ChatCompletion {
  if ('failure' in posted) throw providerError(posted.failure);
  return 'stored' in posted ? posted : posted.answer;
}

/**
 * How long an eager start may take. The worker's native connection retries
 * an unreachable server on its own schedule; past this the miss falls back
 * to update-with-start on the API's connection (see startEagerly).
 */
const EAGER_START_MS = 3_000;

export interface FillAnswer {
  response: ChatCompletion;
  workflowId: string;
  /** Answered by a run another request started, or from an entry already stored: no provider call of its own. */
  joined?: boolean;
  /** Milliseconds per phase (Server-Timing): request blob, Temporal round trip, answer read. */
  timing: Record<string, number>;
}

export interface FillClientOptions {
  taskQueue: string;
  deadlineMs: number;
  policy: FillPolicy;
}

export class FillClient {
  private eager?: Client;

  constructor(
    private readonly client: Client,
    private readonly blobs: BlobStore,
    private readonly entries: EntryStore,
    private readonly options: FillClientOptions,
    private readonly visibility?: VisibilitySupport,
    private readonly answers?: AnswerBoard,
  ) {}

  /**
   * Where this process's worker posts to the board (`reflex start`, `reflex
   * serve`): fills start eagerly on the worker's own connection, so the first
   * workflow task comes back with the start to this worker instead of
   * through the server's matching (BENCHMARKS.md, miss path).
   */
  startEagerlyOn(workerClient: Client): void {
    if (this.answers) this.eager = workerClient;
  }

  async fill(spec: MissSpec): Promise<FillAnswer> {
    const workflowId = spec.fillId ?? fillIdFor(spec);
    const t0 = performance.now();
    // Started eagerly here, the answer comes through the board, not the update: the fill may run in one task.
    const eager = this.answers && this.eager;
    const starter = randomBytes(8).toString('hex');
    const input = { ...(await this.prepare(spec)), starter, ...(eager ? { inOneTask: true } : {}) };
    const t1 = performance.now();
    const options = this.startOptions(workflowId, input, await this.labelled(), describeFill(spec, kindOf(spec)));
    let result: AnswerRef | ChatCompletion;
    const early = this.answers?.wait(workflowId);
    try {
      const answered = early && eager ? this.startEagerly(eager, options, early.answer, starter) : this.updateWithStart(options, early?.answer, starter);
      result = await withDeadline(answered, this.options.deadlineMs, exceeded);
    } catch (err) {
      throw toGatewayError(err);
    } finally {
      early?.cancel();
    }
    const t2 = performance.now();
    const response = await this.resolve(spec, result);
    const joined = 'stored' in result || ('joined' in result && result.joined === true);
    return { response, workflowId, ...(joined ? { joined } : {}), timing: { blob: t1 - t0, temporal: t2 - t1, answer: performance.now() - t2 } };
  }

  /** Update-with-start on the API's connection: the update returns once the answer exists (or joins the fill already running). */
  private async updateWithStart(options: FillStartOptions, posted: Promise<PostedAnswer> | undefined, caller: string): Promise<AnswerRef | ChatCompletion> {
    const startWorkflowOperation = new WithStartWorkflowOperation<typeof cacheFillWorkflow>(FILL_WORKFLOW, options);
    // `caller`: the run says whether it was this request's own start or another's (AnswerRef.joined).
    const update = this.client.workflow.executeUpdateWithStart(answerUpdate, { args: [{ caller }], startWorkflowOperation });
    return posted ? firstAnswer(update, posted) : update;
  }

  /**
   * An eager start on the worker's connection (Temporal refuses eager
   * execution inside update-with-start). Started eagerly, the first task runs
   * on this process's worker, which posts every outcome on the board. Not
   * started eagerly (an identical fill was already running, perhaps in another
   * process, or the server dispatched the task as usual), it joins through
   * update-with-start like any other caller.
   */
  private async startEagerly(client: Client, options: FillStartOptions, posted: Promise<PostedAnswer>, caller: string): Promise<AnswerRef | ChatCompletion> {
    let handle;
    try {
      handle = await client.withDeadline(Date.now() + EAGER_START_MS, () => client.workflow.start<typeof cacheFillWorkflow>(FILL_WORKFLOW, { ...options, requestEagerStart: true }));
    } catch {
      // Unanswered in time, the start may still have been applied: ask again on the API's own connection,
      // which joins that run if it exists and fails fast if Temporal is down (then degraded mode answers).
      return this.updateWithStart(options, posted, caller);
    }
    if (handle.eagerlyStarted) return posted.then(postedAnswer);
    // Joined a run already open: update-with-start, not an update on that run, which may close before
    // the update reaches it (the server then starts a new run instead of failing the update).
    return this.updateWithStart(options, posted, caller);
  }

  /**
   * Hands a complete answer the API already has (a streamed miss, a drained
   * outbox record) to the fill workflow for store + index. A plain start, not
   * an update: nothing waits, and a fill already running under the id is kept
   * (a refresh's id is its own, so its answer is always the one stored).
   */
  async handOff(spec: MissSpec, answer: ChatCompletion, drained = false): Promise<string> {
    const workflowId = spec.fillId ?? fillIdFor(spec);
    // Nobody waits on this fill's update, so it runs in one task.
    const input = { ...(await this.prepare(spec)), answerRef: await this.storeBlob(spec.tenant, answer), inOneTask: true };
    const description = describeFill(spec, drained ? 'outbox drain' : kindOf(spec), { answer, streamed: !drained });
    try {
      await withDeadline(this.client.workflow.start(FILL_WORKFLOW, this.startOptions(workflowId, input, await this.labelled(), description)), this.options.deadlineMs, exceeded);
    } catch (err) {
      throw toGatewayError(err);
    }
    return workflowId;
  }

  /** The claim check: the request (and the API's embedding) to storage, its reference into the input. */
  private async prepare(spec: MissSpec): Promise<FillInput> {
    const request = fillRequestOf(spec);
    return {
      // Chat fills keep the input they always had.
      ...(spec.endpoint && spec.endpoint !== 'chat' ? { endpoint: spec.endpoint } : {}),
      tenant: spec.tenant,
      key: spec.key,
      model: spec.model,
      requestRef: await this.storeBlob(spec.tenant, request),
      embedded: spec.embedding !== undefined,
      sealedToken: spec.sealedToken,
      policy: this.options.policy,
      requestId: spec.requestId,
      replace: spec.replace,
      store: spec.store,
      outcomeAtStart: true,
    };
  }

  private async storeBlob(tenant: string, value: unknown): Promise<string> {
    try {
      return await this.blobs.put(tenant, value);
    } catch (err) {
      throw unavailable(`The entry store cannot be written: ${err instanceof Error ? err.message : String(err)}`, 'storage_unavailable');
    }
  }

  /** The update's result is where the answer is (or, from a run started before the claim check, the answer). */
  private async resolve(spec: MissSpec, result: AnswerRef | ChatCompletion): Promise<ChatCompletion> {
    const response =
      'answerRef' in result
        ? await this.blobs.get<ChatCompletion>(spec.tenant, result.answerRef as string)
        : 'stored' in result
          ? (await this.entries.read(spec.tenant, spec.key))?.response
          : (result as ChatCompletion);
    if (!response) throw unavailable('The fill answered, but its answer is no longer in storage; retry the request.', 'answer_unavailable');
    return response;
  }

  /** Waits (at most ms) for a fill to finish; false if it did not in time or failed. */
  async settled(workflowId: string, ms: number): Promise<boolean> {
    return withDeadline(this.client.workflow.getHandle(workflowId).result(), ms, exceeded).then(
      () => true,
      () => false,
    );
  }

  /** Search attributes only where the cluster has them registered (see fill/visibilitySupport). */
  private async labelled(): Promise<Labelled> {
    if (!(await this.visibility?.available())) return false;
    return { origin: this.visibility!.has(reflexAttributes.origin.name) };
  }

  private startOptions(workflowId: string, input: FillInput, labelled: Labelled, description: FillDescription): FillStartOptions {
    const { origin, staticSummary, staticDetails } = description;
    const labels = {
      tenant: input.tenant,
      key: input.key,
      model: input.model,
      kind: 'fill' as const,
      ...(labelled && labelled.origin ? { origin } : {}),
      ...(input.outcomeAtStart ? { outcome: PRESUMED_OUTCOME } : {}),
    };
    return {
      staticSummary,
      staticDetails,
      workflowId,
      taskQueue: this.options.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING' as const,
      memo: { tenant: input.tenant, model: input.model, key: input.key, kind: 'fill', requestId: input.requestId ?? null },
      ...(labelled ? { typedSearchAttributes: startAttributes(labels) } : {}),
    };
  }
}

/** false: no search attributes; else the core ones, and ReflexOrigin where registered. */
type Labelled = false | { origin: boolean };

/** What the Temporal UI says about a fill: ReflexOrigin, and the summary (list view) and details (its page), encrypted like the input. */
type FillDescription = { origin: FillOrigin } & Required<Pick<WorkflowStartOptions, 'staticSummary' | 'staticDetails'>>;

type MissKind = Exclude<FillKind, 'replay'>;
const kindOf = (spec: MissSpec): MissKind => (spec.replace ? 'refresh' : (spec.endpoint ?? 'chat'));
const ORIGIN: Record<MissKind, FillOrigin> = { chat: 'chat', responses: 'responses', refresh: 'refresh', 'outbox drain': 'outbox' };

function describeFill(spec: MissSpec, kind: MissKind, handed?: { answer: ChatCompletion; streamed: boolean }): FillDescription {
  const label = { kind, tenant: spec.tenant, model: spec.model, caller: spec.caller, question: spec.semanticText };
  return {
    origin: ORIGIN[kind],
    staticSummary: fillSummary({ ...label, streamed: handed?.streamed }),
    staticDetails: fillDetails({ question: spec.semanticText, request: spec.request, answer: handed?.answer, lookupMs: spec.lookupMs }),
  };
}

/** Fills always join an open run of their id (update-with-start requires the policy set). */
type FillStartOptions = WorkflowStartOptions<typeof cacheFillWorkflow> & { workflowIdConflictPolicy: 'USE_EXISTING' };

class DeadlineExceeded extends Error {}
const exceeded = () => new DeadlineExceeded();

/** What a caller is told when a fill cannot answer: the provider's own error, a timeout, or Temporal being away. */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof DeadlineExceeded) {
    return new GatewayError(504, 'The provider did not answer within the gateway deadline.', 'timeout', 'upstream_timeout');
  }
  return temporalFailure(err);
}
