/**
 * A streaming miss: the provider's chunks go to the client as they arrive
 * while an assembler rebuilds the complete answer. Only after the provider's
 * terminal event (every choice finished) is the answer kept (see
 * miss/missPath: handed to the durable fill workflow for store + index, or
 * to the outbox while Temporal is unreachable), with no second provider call.
 * A stream the provider breaks off, or the client abandons, is never kept.
 *
 * Identical concurrent misses are coalesced per process whatever their mix
 * of stream and JSON (see miss/singleFlight): followers wait for the leader's
 * complete answer and get it replayed; if the leader's stream broke or was
 * abandoned they try again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { GatewayError } from '../../errors';
import { ChunkAssembler } from '../../provider/assemble';
import { UpstreamError, providerError } from '../../provider/failure';
import type { Provider } from '../../provider/provider';
import { retryDelayMs } from '../../provider/retry';
import type { CompletionChunk } from '../../provider/wire';
import type { MissSpec } from '../../temporal/fillClient';
import { FlightOutcome, MissOutcome, MissPath } from '../../miss/missPath';
import { replayToSink } from './replay';
import type { StreamSink } from './sink';

export interface StreamingMissDeps {
  provider: Provider;
  miss: MissPath;
  log: Logger;
  maxAttempts: number;
}

export interface StreamingMiss {
  spec: MissSpec;
  apiKey: string | undefined;
  includeUsage: boolean;
  /** Response headers sent when the stream opens (status; the fill id is added when the workflow is expected to exist). */
  headers: Record<string, string>;
  sink: StreamSink;
  /** Runs after the answer is kept and before `[DONE]` (a refresh makes its new entry visible here). */
  beforeEnd?: (workflowId: string | undefined) => Promise<void>;
}

const FOLLOW_ATTEMPTS = 3;

export async function streamMiss(deps: StreamingMissDeps, miss: StreamingMiss): Promise<void> {
  const flightKey = MissPath.flightKey(miss.spec);
  for (let attempt = 0; attempt < FOLLOW_ATTEMPTS; attempt++) {
    const running = deps.miss.flights.join(flightKey);
    if (!running) return lead(deps, miss, flightKey);
    const outcome = await running;
    if ('outcome' in outcome) return replayToSink(miss.sink, outcome.outcome.completion, miss.includeUsage, { ...miss.headers, ...outcomeHeaders(outcome.outcome) });
    if ('error' in outcome) throw outcome.error;
    if (miss.sink.gone) return;
  }
  throw new GatewayError(502, 'The upstream stream for this request kept breaking off.', 'api_error', 'upstream_stream_broken');
}

async function lead(deps: StreamingMissDeps, miss: StreamingMiss, flightKey: string | undefined): Promise<void> {
  const flight = deps.miss.flights.lead(flightKey);
  let outcome: FlightOutcome = { retry: true };
  try {
    outcome = await relay(deps, miss);
  } catch (err) {
    outcome = { error: err instanceof GatewayError ? err : toError(err) };
    throw outcome.error;
  } finally {
    flight.settle(outcome);
  }
}

async function relay(deps: StreamingMissDeps, miss: StreamingMiss): Promise<FlightOutcome> {
  const controller = new AbortController();
  const chunks = await openWithRetry(deps, miss, controller.signal);
  const { sink } = miss;
  sink.open(miss.headers);
  sink.onGone(() => controller.abort());
  const assembler = new ChunkAssembler();
  try {
    for await (const chunk of chunks) {
      // Leaving the loop closes the provider stream (the iterator's return aborts its request).
      if (sink.gone) break;
      assembler.add(chunk);
      await sink.send(chunk);
    }
  } catch (err) {
    if (!sink.gone) sink.fail(toError(err).toBody());
    return { retry: true };
  }
  if (sink.gone) return { retry: true };
  if (!assembler.complete) {
    sink.fail(new GatewayError(502, 'The upstream stream ended before its final chunk.', 'api_error', 'upstream_stream_broken').toBody());
    return { retry: true };
  }
  const completion = assembler.completion();
  deps.miss.remember(miss.spec, completion);
  const kept = await deps.miss.keep(miss.spec, completion);
  await miss.beforeEnd?.(kept.workflowId);
  sink.end();
  return { outcome: { completion, ...kept } };
}

/** The headers a finished miss adds: its fill id where the workflow exists, or how degraded mode kept the answer. */
export function outcomeHeaders(outcome: MissOutcome): Record<string, string> {
  const headers: Record<string, string> = {};
  if (outcome.workflowId) headers['X-Reflex-Fill-Id'] = outcome.workflowId;
  if (outcome.degraded) headers['X-Reflex-Degraded'] = outcome.degraded;
  return headers;
}

/** Provider refusals before the first byte retry like the workflow's would (429/5xx/transport only). */
async function openWithRetry(deps: StreamingMissDeps, miss: StreamingMiss, signal: AbortSignal): Promise<AsyncIterable<CompletionChunk>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await deps.provider.stream(miss.spec.request, miss.apiKey, signal);
    } catch (err) {
      const retryable = err instanceof UpstreamError && err.failure.retryable;
      if (!retryable || attempt >= deps.maxAttempts || miss.sink.gone) throw toError(err);
      await sleep(retryDelayMs(attempt));
    }
  }
}

function toError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  if (err instanceof UpstreamError) return providerError(err.failure);
  return new GatewayError(502, `Upstream stream failed: ${err instanceof Error ? err.message : String(err)}`, 'api_error', 'upstream_error');
}
