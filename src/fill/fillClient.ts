/**
 * The miss path's entry into Temporal: update-with-start on the fill
 * workflow (conflict policy USE_EXISTING, id from tenant + key), waiting only
 * for the provider's answer. Temporal and provider failures become typed
 * gateway errors with the status the client should see.
 */
import { Client, WithStartWorkflowOperation, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { GatewayError, ProviderError, unavailable } from '../errors';
import type { ChatCompletion } from '../storage/entry';
import type { cacheFillWorkflow } from '../workflows/fill';
import { FILL_WORKFLOW, FillFailureDetails, FillInput, PROVIDER_FAILURE_TYPE, answerUpdate, fillWorkflowId } from '../workflows/definitions';

export interface FillAnswer {
  response: ChatCompletion;
  workflowId: string;
}

export class FillClient {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly deadlineMs: number,
  ) {}

  async fill(input: FillInput): Promise<FillAnswer> {
    const workflowId = fillWorkflowId(input.tenant, input.key);
    const startWorkflowOperation = new WithStartWorkflowOperation<typeof cacheFillWorkflow>(FILL_WORKFLOW, {
      workflowId,
      taskQueue: this.taskQueue,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      memo: { tenant: input.tenant, model: input.model, key: input.key, kind: 'fill', requestId: input.requestId ?? null },
    });
    try {
      const response = await withDeadline(
        this.client.workflow.executeUpdateWithStart(answerUpdate, { startWorkflowOperation }),
        this.deadlineMs,
      );
      return { response, workflowId };
    } catch (err) {
      throw toGatewayError(err);
    }
  }
}

class DeadlineExceeded extends Error {}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded()), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  if (err instanceof DeadlineExceeded) {
    return new GatewayError(504, 'The provider did not answer within the gateway deadline.', 'timeout', 'upstream_timeout');
  }
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === PROVIDER_FAILURE_TYPE) {
    return providerError(err.cause.details?.[0] as FillFailureDetails);
  }
  return unavailable(`The fill service (Temporal) is unavailable: ${err instanceof Error ? err.message : String(err)}`, 'temporal_unavailable');
}

/** Client errors keep the provider's status; 429 keeps Retry-After; everything else is a 502. */
function providerError(details: FillFailureDetails): GatewayError {
  const { status, body, retryAfter } = details;
  const passThrough = (status >= 400 && status < 500 && status !== 408 && status !== 409) || status === 429;
  const headers: Record<string, string> = retryAfter ? { 'Retry-After': retryAfter } : {};
  if (passThrough) return new ProviderError(status, body.error.message, body.error.type, body.error.code, body.error.param, headers);
  const detail = status ? `status ${status}` : 'no response';
  return new ProviderError(502, `Upstream provider failed (${detail}): ${body.error.message}`, 'api_error', 'upstream_error');
}
