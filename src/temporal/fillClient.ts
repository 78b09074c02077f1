/**
 * The miss path's entry into Temporal: update-with-start on the fill
 * workflow (conflict policy USE_EXISTING, id from tenant + key, so identical
 * misses share one provider call), waiting only for the provider's answer.
 * A refresh gets an id of its own (see fillIdFor) and never joins. Temporal and provider failures become typed
 * gateway errors with the status the client should see.
 */
import { Client, WithStartWorkflowOperation, WorkflowUpdateFailedError } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { withDeadline } from '../deadline';
import { GatewayError, unavailable } from '../errors';
import { providerError } from '../provider/failure';
import type { ProviderFailure } from '../provider/failure';
import type { cacheFillWorkflow } from '../workflows/fill';
import { startAttributes } from '../workflows/visibility';
import type { VisibilitySupport } from './visibilitySupport';
import { FILL_WORKFLOW, FillInput, PROVIDER_FAILURE_TYPE, answerUpdate, fillWorkflowId, refreshWorkflowId } from '../workflows/definitions';
import type { ChatCompletion } from '../provider/wire';

/**
 * The workflow id a fill runs under. Identical misses share one id and so one
 * fill; a refresh must never join an open fill of its key (it would get the
 * old answer, and its own would be dropped), so each refresh gets a new one.
 */
export function fillIdFor(input: FillInput): string {
  if (input.replace) return refreshWorkflowId(input.tenant, input.key, randomBytes(8).toString('hex'));
  return fillWorkflowId(input.tenant, input.key, input.store !== false);
}

export interface FillAnswer {
  response: ChatCompletion;
  workflowId: string;
}

export class FillClient {
  /**
   * Identical misses already waiting in this process. Each `answer` update
   * costs the workflow a task, so a burst of N identical misses would queue N
   * tasks on one workflow; joining the first caller's update here makes it one
   * per process (Temporal still coalesces across processes).
   */
  private readonly waiting = new Map<string, Promise<FillAnswer>>();

  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly deadlineMs: number,
    private readonly visibility?: VisibilitySupport,
    private readonly onCoalesced: () => void = () => undefined,
  ) {}

  fill(input: FillInput): Promise<FillAnswer> {
    const workflowId = fillIdFor(input);
    const joined = input.replace ? undefined : this.waiting.get(workflowId);
    if (joined) {
      this.onCoalesced();
      return joined;
    }
    const call = this.update(workflowId, input).finally(() => {
      if (this.waiting.get(workflowId) === call) this.waiting.delete(workflowId);
    });
    if (!input.replace) this.waiting.set(workflowId, call);
    return call;
  }

  private async update(workflowId: string, input: FillInput): Promise<FillAnswer> {
    const startWorkflowOperation = new WithStartWorkflowOperation<typeof cacheFillWorkflow>(FILL_WORKFLOW, this.startOptions(workflowId, input, await this.labelled()));
    try {
      const response = await withDeadline(
        this.client.workflow.executeUpdateWithStart(answerUpdate, { startWorkflowOperation }),
        this.deadlineMs,
        exceeded,
      );
      return { response, workflowId };
    } catch (err) {
      throw toGatewayError(err);
    }
  }

  /**
   * Hands a streamed miss's complete answer (input.prefetched) to the fill
   * workflow for store + index. A plain start, not an update: nothing waits
   * for an answer, and a fill already running under the id is simply kept
   * (a refresh's id is its own, so its answer is always the one stored).
   */
  async handOff(input: FillInput, workflowId = fillIdFor(input)): Promise<string> {
    await withDeadline(this.client.workflow.start(FILL_WORKFLOW, this.startOptions(workflowId, input, await this.labelled())), this.deadlineMs, exceeded);
    return workflowId;
  }

  /** Waits (at most ms) for a fill to finish; false if it did not in time or failed. */
  async settled(workflowId: string, ms: number): Promise<boolean> {
    return withDeadline(this.client.workflow.getHandle(workflowId).result(), ms, exceeded).then(
      () => true,
      () => false,
    );
  }

  /** Search attributes only where the cluster has them registered (see fill/visibilitySupport). */
  private async labelled(): Promise<boolean> {
    return (await this.visibility?.available()) ?? false;
  }

  private startOptions(workflowId: string, input: FillInput, labelled: boolean) {
    return {
      workflowId,
      taskQueue: this.taskQueue,
      args: [input] as [FillInput],
      workflowIdConflictPolicy: 'USE_EXISTING' as const,
      memo: { tenant: input.tenant, model: input.model, key: input.key, kind: 'fill', requestId: input.requestId ?? null },
      ...(labelled ? { typedSearchAttributes: startAttributes({ tenant: input.tenant, key: input.key, model: input.model, kind: 'fill' }) } : {}),
    };
  }
}

class DeadlineExceeded extends Error {}
const exceeded = () => new DeadlineExceeded();

export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  if (err instanceof DeadlineExceeded) {
    return new GatewayError(504, 'The provider did not answer within the gateway deadline.', 'timeout', 'upstream_timeout');
  }
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === PROVIDER_FAILURE_TYPE) {
    return providerError(err.cause.details?.[0] as ProviderFailure);
  }
  return unavailable(`The fill service (Temporal) is unavailable: ${err instanceof Error ? err.message : String(err)}`, 'temporal_unavailable');
}
