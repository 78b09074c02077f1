/**
 * A streaming miss: the provider's chunks go to the client as they arrive
 * while an assembler rebuilds the complete answer. Only after the provider's
 * terminal event (every choice finished) is the answer handed to the durable
 * fill workflow for store + index, with no second provider call. A stream the
 * provider breaks off, or the client abandons, is never handed off.
 *
 * Identical concurrent streaming misses are coalesced per process (see
 * SingleFlight): followers wait for the leader's complete answer and get it
 * replayed; if the leader's stream broke or was abandoned they try again.
 */
import type { Logger } from 'pino';
import { GatewayError } from '../../errors';
import { UpstreamError, providerError } from '../../provider/failure';
import type { Provider } from '../../provider/provider';
import { withProviderRetry } from '../../provider/retrying';
import type { ChatCompletion } from '../../provider/wire';
import type { FillClient } from '../../temporal/fillClient';
import type { FillInput } from '../../workflows/definitions';
import { CHAT_STREAM, StreamProtocol } from './protocol';
import { replayToSink } from './replay';
import type { StreamSink } from './sink';
import { SingleFlight } from './singleFlight';

export type FlightOutcome = { completion: ChatCompletion } | { error: GatewayError } | { retry: true };

export interface StreamingMissDeps {
  provider: Provider;
  fill: FillClient;
  flights: SingleFlight<FlightOutcome>;
  log: Logger;
  maxAttempts: number;
}

export interface StreamingMiss<E = unknown> {
  input: FillInput;
  /** Chat completions unless told otherwise. */
  protocol?: StreamProtocol<E>;
  /** The fill the answer is handed to (see fillIdFor); absent when nothing is stored. */
  fillId?: string;
  apiKey: string | undefined;
  includeUsage: boolean;
  /** Response headers (status, fill id) sent when the stream opens. */
  headers: Record<string, string>;
  sink: StreamSink<E>;
  /** Runs after the hand-off and before `[DONE]` (a refresh makes its new entry visible here). */
  beforeEnd?: (workflowId: string | undefined) => Promise<void>;
}

const FOLLOW_ATTEMPTS = 3;

export async function streamMiss<E>(deps: StreamingMissDeps, miss: StreamingMiss<E>): Promise<void> {
  const { input } = miss;
  // A refresh never follows another stream (it wants a fresh answer): its flight key is its own fill id.
  const flightKey = input.replace ? `refresh:${miss.fillId}` : `${input.tenant}:${input.key}:${input.store === false ? 'nostore' : 'store'}`;
  for (let attempt = 0; attempt < FOLLOW_ATTEMPTS; attempt++) {
    const running = deps.flights.join(flightKey);
    if (!running) return lead(deps, miss, flightKey);
    const outcome = await running;
    if ('completion' in outcome) return replayToSink(miss.sink, outcome.completion, miss.includeUsage, miss.headers, protocolOf(miss));
    if ('error' in outcome) throw outcome.error;
    if (miss.sink.gone) return;
  }
  throw new GatewayError(502, 'The upstream stream for this request kept breaking off.', 'api_error', 'upstream_stream_broken');
}

async function lead<E>(deps: StreamingMissDeps, miss: StreamingMiss<E>, flightKey: string): Promise<void> {
  const flight = deps.flights.lead(flightKey);
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
  const workflowId = miss.input.store !== false ? await handOff(deps, { ...miss.input, prefetched: completion }, miss.fillId) : undefined;
  await miss.beforeEnd?.(workflowId);
  sink.end();
  return { completion };
}

/** Provider refusals before the first byte retry like the workflow's would (429/5xx/transport only). */
async function openWithRetry<E>(deps: StreamingMissDeps, miss: StreamingMiss<E>, signal: AbortSignal): Promise<AsyncIterable<E>> {
  const open = () => protocolOf(miss).open(deps.provider, miss.input.request, miss.apiKey, signal);
  return withProviderRetry(open, deps.maxAttempts, () => miss.sink.gone).catch((err: unknown) => {
    throw toError(err);
  });
}

/** The client already has its answer: a failed hand-off is logged, never surfaced. */
async function handOff(deps: StreamingMissDeps, input: FillInput, fillId: string | undefined): Promise<string | undefined> {
  try {
    return await deps.fill.handOff(input, fillId);
  } catch (err) {
    deps.log.warn({ err: String(err), tenant: input.tenant, key: input.key }, 'streamed answer not handed to the fill workflow; it will not be cached');
    return undefined;
  }
}

const protocolOf = <E>(miss: StreamingMiss<E>) => miss.protocol ?? (CHAT_STREAM as unknown as StreamProtocol<E>);

function toError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  if (err instanceof UpstreamError) return providerError(err.failure);
  return new GatewayError(502, `Upstream stream failed: ${err instanceof Error ? err.message : String(err)}`, 'api_error', 'upstream_error');
}
