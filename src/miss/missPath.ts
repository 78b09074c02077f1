/**
 * A miss, whichever way it is answered: through the fill workflow (JSON), or
 * from the provider directly while Temporal is unreachable (degraded mode),
 * with the answer kept either way — handed to the fill workflow, or written
 * to the outbox until Temporal is back. Identical concurrent misses of any
 * mix of JSON and stream callers share one flight per process (streams lead
 * through api/streaming/relay). Every answer this process receives is served
 * at once as an exact hit of the same (tenant, key) (read-your-writes).
 */
import type { Logger } from 'pino';
import type { ExactCache } from '../cache/l1/exactCache';
import type { Outbox } from './outbox/outbox';
import { GatewayError } from '../errors';
import type { Metrics } from '../metrics';
import { UpstreamError, providerError } from '../provider/failure';
import type { Provider } from '../provider/provider';
import { withProviderRetry } from '../provider/retrying';
import type { ChatCompletion } from '../wire/chat';
import { FillClient, toGatewayError } from './fillClient';
import { MissSpec, outboxRecordOf } from './missSpec';
import { isCacheable } from '../provider/cacheability';
import type { TemporalHealth } from './health';
import { SingleFlight } from './singleFlight';

/** How an answer was kept: `outbox` (Temporal down, stored for later), `not-stored` (the entry store failed too). */
export type Degraded = 'outbox' | 'not-stored';

export interface MissOutcome {
  completion: ChatCompletion;
  /** The fill's workflow id, only when that workflow exists. */
  workflowId?: string;
  degraded?: Degraded;
  /** Answered by a call another request paid for (a flight of this process, another replica's fill, a stored entry). */
  joined?: boolean;
  /** Milliseconds per phase, for Server-Timing. */
  timing?: Record<string, number>;
}

export type FlightOutcome = { outcome: MissOutcome } | { error: GatewayError } | { retry: true };

export interface MissPathDeps {
  fill: FillClient;
  provider: Provider;
  outbox: Outbox;
  exact: ExactCache;
  health: TemporalHealth;
  metrics: Metrics;
  log: Logger;
  maxAttempts: number;
}

const FOLLOW_ATTEMPTS = 3;

export class MissPath {
  readonly flights = new SingleFlight<FlightOutcome>();

  constructor(private readonly deps: MissPathDeps) {}

  /** A refresh asked for a fresh answer of its own, so it neither joins nor is joined. */
  static flightKey(spec: MissSpec): string | undefined {
    return spec.replace ? undefined : `${spec.tenant}:${spec.key}:${spec.store === false ? 'nostore' : 'store'}`;
  }

  /**
   * A JSON miss: joins an identical flight in this process (JSON or stream), or
   * leads one. `lookedUp`: the request was looked up (it may be served from cache).
   */
  async answer(spec: MissSpec, apiKey: string | undefined, lookedUp = false): Promise<MissOutcome> {
    const key = MissPath.flightKey(spec);
    for (let attempt = 0; attempt < FOLLOW_ATTEMPTS; attempt++) {
      const running = this.flights.join(key);
      if (!running) return this.landed(spec, lookedUp) ?? this.lead(key, spec, apiKey);
      this.deps.metrics.coalesced.inc();
      const outcome = await running;
      if ('outcome' in outcome) return { ...outcome.outcome, joined: true };
      if ('error' in outcome) throw outcome.error;
    }
    throw new GatewayError(502, 'The upstream stream for this request kept breaking off.', 'api_error', 'upstream_stream_broken');
  }

  /**
   * The answer an identical flight of this process left in L1 after this
   * request's lookup missed. Lookup and admission are async, so a flight can
   * settle in between; without this last look, a request that missed just
   * before the answer landed and asked just after its flight ended would pay
   * the provider again. Checked in the same tick as the decision to lead.
   */
  landed(spec: MissSpec, lookedUp: boolean): MissOutcome | undefined {
    if (!lookedUp || spec.replace || spec.store === false) return undefined;
    const entry = this.deps.exact.getNow(spec.tenant, spec.key);
    if (!entry) return undefined;
    this.deps.metrics.coalesced.inc();
    return { completion: entry.response, joined: true };
  }

  private async lead(key: string | undefined, spec: MissSpec, apiKey: string | undefined): Promise<MissOutcome> {
    const flight = this.flights.lead(key);
    try {
      const outcome = await this.viaFill(spec, apiKey);
      this.remember(spec, outcome.completion);
      flight.settle({ outcome });
      return outcome;
    } catch (err) {
      const error = toGatewayError(err);
      flight.settle({ error });
      throw error;
    }
  }

  private async viaFill(spec: MissSpec, apiKey: string | undefined): Promise<MissOutcome> {
    if (this.deps.health.usable()) {
      try {
        const answer = await this.deps.fill.fill(spec);
        this.deps.health.succeeded();
        return { completion: answer.response, workflowId: answer.workflowId, timing: answer.timing, ...(answer.joined ? { joined: true } : {}) };
      } catch (err) {
        const error = toGatewayError(err);
        if (!isUnreachable(error)) throw error;
        this.unreachable(error);
      }
    }
    const completion = await this.completeDirectly(spec, apiKey);
    return { completion, ...(await this.keep(spec, completion)) };
  }

  /**
   * A complete answer the API holds (a relayed stream, a degraded miss) goes
   * to the fill workflow for store + index, or to the outbox while Temporal
   * is unreachable. Never throws: the client has its answer either way.
   */
  async keep(spec: MissSpec, completion: ChatCompletion): Promise<{ workflowId?: string; degraded?: Degraded }> {
    if (spec.store === false) return {};
    if (this.deps.health.usable()) {
      try {
        const workflowId = await this.deps.fill.handOff(spec, completion);
        this.deps.health.succeeded();
        return { workflowId };
      } catch (err) {
        const error = toGatewayError(err);
        if (isUnreachable(error)) this.unreachable(error);
        else this.deps.log.warn({ err: error.message, tenant: spec.tenant, key: spec.key }, 'answer not handed to the fill workflow; writing it to the outbox');
      }
    }
    if (!isCacheable(completion)) return {};
    try {
      await this.deps.outbox.write(outboxRecordOf(spec, completion));
      this.deps.metrics.outbox.inc({ event: 'written' });
      return { degraded: 'outbox' };
    } catch (err) {
      this.deps.metrics.outbox.inc({ event: 'write_failed' });
      this.deps.log.error({ err: String(err), tenant: spec.tenant, key: spec.key }, 'answer neither handed to Temporal nor written to the outbox: it will not be cached');
      return { degraded: 'not-stored' };
    }
  }

  /** Read-your-writes: this process serves the answer as an exact hit before the fill has stored it. */
  remember(spec: MissSpec, completion: ChatCompletion): void {
    if (spec.store === false || spec.replace || !isCacheable(completion)) return;
    this.deps.exact.provisional({
      version: 1,
      tenant: spec.tenant,
      key: spec.key,
      context: spec.context,
      model: spec.model,
      createdAt: Date.now(),
      semanticText: spec.semanticText,
      embedding: spec.embedding ? Array.from(spec.embedding) : [],
      ...(spec.embedder ? { embedder: spec.embedder } : {}),
      response: completion,
    });
  }

  /** Degraded mode: the provider called from this process, with the fill's retry rule (429/5xx/transport only). */
  private async completeDirectly(spec: MissSpec, apiKey: string | undefined): Promise<ChatCompletion> {
    const call = () => (spec.endpoint === 'responses' ? this.deps.provider.respond(spec.request, apiKey) : this.deps.provider.complete(spec.request, apiKey));
    return withProviderRetry<ChatCompletion>(call, this.deps.maxAttempts).catch((err: unknown) => {
      throw err instanceof UpstreamError ? providerError(err.failure) : err;
    });
  }

  private unreachable(error: GatewayError): void {
    if (!this.deps.health.degraded) this.deps.log.warn({ err: error.message }, 'Temporal unreachable: answering misses directly and keeping answers in the outbox');
    this.deps.health.failed();
  }
}

const isUnreachable = (error: GatewayError) => error.code === 'temporal_unavailable' || error.code === 'storage_unavailable';
