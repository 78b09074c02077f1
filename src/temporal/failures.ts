/**
 * A Temporal call's failure as the caller sees it: a gateway error passes
 * through, a provider failure carried by an `answer` update becomes the
 * provider's own error, and anything else means Temporal is unavailable.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { GatewayError, unavailable } from '../errors';
import { providerError, type ProviderFailure } from '../provider/failure';
import { PROVIDER_FAILURE_TYPE } from '../workflows/definitions';

export function temporalFailure(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === PROVIDER_FAILURE_TYPE) {
    return providerError(err.cause.details?.[0] as ProviderFailure);
  }
  return unavailable(`The fill service (Temporal) is unavailable: ${err instanceof Error ? err.message : String(err)}`, 'temporal_unavailable');
}
