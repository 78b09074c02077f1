/**
 * What the API knows about a miss, and the forms it takes on its way to a
 * stored entry: the fill it starts (fillIdFor), or, while Temporal is away,
 * the outbox record that keeps its answer until a drainer hands it to that
 * fill (outboxRecordOf, then missSpecOf). The record is this spec, less what
 * only the live request has, plus the answer.
 */
import { randomBytes } from 'node:crypto';
import type { RefusedForJudging } from '../activities/fillRequest';
import type { ProviderEndpoint } from '../provider/provider';
import type { ChatCompletion } from '../wire/chat';
import { fillWorkflowId, refreshWorkflowId } from '../workflows/definitions';

/** What the API knows about a miss. */
export interface MissSpec {
  /** Which provider endpoint answers; absent = chat completions. */
  endpoint?: ProviderEndpoint;
  tenant: string;
  key: string;
  context: string;
  model: string;
  semanticText: string;
  request: Record<string, unknown>;
  embedding?: Float32Array;
  /** The id of the model that made `embedding`. */
  embedder?: string;
  sealedToken?: string;
  requestId?: string;
  replace?: boolean;
  store?: boolean;
  /** The fill id, when it had to be decided early (a stream names it before its answer exists); else fillIdFor. */
  fillId?: string;
  /** Who asked, for the Temporal UI: the gateway key's name and namespace (never a token). */
  caller?: string;
  /** Milliseconds the cache lookup took before this miss (the fill's details show it). */
  lookupMs?: number;
  /** A candidate the error budget's floor refused, to judge against this miss's answer. */
  refused?: RefusedForJudging;
}

/**
 * The workflow id a fill runs under. Identical misses share one id and so one
 * fill; a refresh must never join an open fill of its key (it would get the
 * old answer, and its own would be dropped), so each refresh gets a new one.
 */
export function fillIdFor(spec: { tenant: string; key: string; replace?: boolean; store?: boolean }): string {
  if (spec.replace) return refreshWorkflowId(spec.tenant, spec.key, randomBytes(8).toString('hex'));
  return fillWorkflowId(spec.tenant, spec.key, spec.store !== false);
}

/** What an outbox record keeps of a miss: everything its fill needs, and nothing only the live request has (a sealed token, a fill id, timings). */
type Kept = 'endpoint' | 'tenant' | 'key' | 'context' | 'model' | 'semanticText' | 'request' | 'embedder' | 'requestId' | 'caller' | 'replace' | 'refused';

export interface OutboxRecord extends Pick<MissSpec, Kept> {
  version: 1;
  /** The spec's embedding, as JSON can hold it. */
  embedding?: number[];
  answer: ChatCompletion;
  answeredAt: number;
}

export function outboxRecordOf(spec: MissSpec, answer: ChatCompletion, answeredAt = Date.now()): OutboxRecord {
  const { endpoint, tenant, key, context, model, semanticText, request, embedding, embedder, requestId, caller, replace, refused } = spec;
  return {
    version: 1,
    // Chat records keep the form they always had.
    ...(endpoint && endpoint !== 'chat' ? { endpoint } : {}),
    tenant, key, context, model, semanticText, request,
    ...(embedding ? { embedding: Array.from(embedding), embedder } : {}),
    requestId,
    ...(caller ? { caller } : {}),
    ...(replace ? { replace: true } : {}),
    ...(refused ? { refused } : {}),
    answer,
    answeredAt,
  };
}

export function missSpecOf(record: OutboxRecord): MissSpec {
  const { answer: _answer, answeredAt: _answeredAt, version: _version, embedding, ...kept } = record;
  return { ...kept, ...(embedding ? { embedding: Float32Array.from(embedding) } : {}) };
}
