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
import type { Logger } from 'pino';
import { GatewayError } from '../../errors';
import { UpstreamError, providerError } from '../../provider/failure';
import type { Provider } from '../../provider/provider';
import { withProviderRetry } from '../../provider/retrying';
import type { MissSpec } from '../../miss/missSpec';
import { FlightOutcome, MissOutcome, MissPath } from '../../miss/missPath';
import { CHAT_STREAM, StreamProtocol } from './protocol';
import { replayToSink } from './replay';
import type { StreamSink } from './sink';

export interface StreamingMissDeps {
  provider: Provider;
  miss: MissPath;
  log: Logger;
  maxAttempts: number;
}

export interface StreamingMiss<E = unknown> {
  /** The miss; its fillId (see fillIdFor) is decided before the stream opens. */
  spec: MissSpec;
  /** Chat completions unless told otherwise. */
  protocol?: StreamProtocol<E>;
  apiKey: string | undefined;
  includeUsage: boolean;
  /** Response headers sent when the stream opens (status; the fill id when the workflow is expected to exist). */
  headers: Record<string, string>;
  sink: StreamSink<E>;
  /** The request was looked up: it may be served an answer that landed since (MissPath.landed). */
  lookedUp?: boolean;
  /** Runs after the answer is kept and before `[DONE]` (a refresh makes its new entry visible here). */
  beforeEnd?: (workflowId: string | undefined) => Promise<void>;
}

const FOLLOW_ATTEMPTS = 3;

export async function streamMiss<E>(deps: StreamingMissDeps, miss: StreamingMiss<E>): Promise<void> {
  const flightKey = MissPath.flightKey(miss.spec);
  for (let attempt = 0; attempt < FOLLOW_ATTEMPTS; attempt++) {
    const running = deps.miss.flights.join(flightKey);
    const landed = running ? undefined : deps.miss.landed(miss.spec, miss.lookedUp === true);
    if (!running && !landed) return lead(deps, miss, flightKey);
    const outcome = landed ? { outcome: landed } : await running!;
    if ('outcome' in outcome) {
      const headers = withOutcome(miss.headers, { ...outcome.outcome, joined: true });
      return replayToSink(miss.sink, outcome.outcome.completion, miss.includeUsage, headers, protocolOf(miss));
    }
    if ('error' in outcome) throw outcome.error;
    if (miss.sink.gone) return;
  }
  throw new GatewayError(502, 'The upstream stream for this request kept breaking off.', 'api_error', 'upstream_stream_broken');
}

async function lead<E>(deps: StreamingMissDeps, miss: StreamingMiss<E>, flightKey: string | undefined): Promise<void> {
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

async function relay<E>(deps: StreamingMissDeps, miss: StreamingMiss<E>): Promise<FlightOutcome> {
  const controller = new AbortController();
  const chunks = await openWithRetry(deps, miss, controller.signal);
  const { sink } = miss;
  sink.open(miss.headers);
  sink.onGone(() => controller.abort());
  const assembler = protocolOf(miss).assembler();
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
  const completion = assembler.answer();
  deps.miss.remember(miss.spec, completion);
  const kept = await deps.miss.keep(miss.spec, completion);
  await miss.beforeEnd?.(kept.workflowId);
  sink.end();
  return { outcome: { completion, ...kept } };
}

/**
 * A miss's headers once it is answered: its fill id where the workflow
 * exists, how degraded mode kept the answer, and JOINED instead of MISS for a
 * request another request's provider call answered (saved, not paid).
 */
export function withOutcome(headers: Record<string, string>, outcome: MissOutcome): Record<string, string> {
  const out = { ...headers };
  if (outcome.workflowId) out['X-Reflex-Fill-Id'] = outcome.workflowId;
  if (outcome.degraded) out['X-Reflex-Degraded'] = outcome.degraded;
  if (outcome.joined && out['X-Reflex-Status'] === 'MISS') out['X-Reflex-Status'] = 'JOINED';
  return out;
}

/** Provider refusals before the first byte retry like the workflow's would (429/5xx/transport only). */
async function openWithRetry<E>(deps: StreamingMissDeps, miss: StreamingMiss<E>, signal: AbortSignal): Promise<AsyncIterable<E>> {
  const open = () => protocolOf(miss).open(deps.provider, miss.spec.request, miss.apiKey, signal);
  return withProviderRetry(open, deps.maxAttempts, () => miss.sink.gone).catch((err: unknown) => {
    throw toError(err);
  });
}

const protocolOf = <E>(miss: StreamingMiss<E>) => miss.protocol ?? (CHAT_STREAM as unknown as StreamProtocol<E>);

function toError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  if (err instanceof UpstreamError) return providerError(err.failure);
  return new GatewayError(502, `Upstream stream failed: ${err instanceof Error ? err.message : String(err)}`, 'api_error', 'upstream_error');
}
