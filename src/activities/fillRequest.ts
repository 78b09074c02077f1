/**
 * The claim check of a request (a fill's or an audit's): what is stored as a
 * blob and referenced from the workflow input, so the input stays small and
 * the request (with the caller's messages) is encrypted at rest. A leaf: the
 * API's clients build it without loading the activities.
 */
import type { JudgeKind } from '../cache/l3/judge/judge';

/** A candidate the tenant's error-budget floor refused (cache/lookup.ts), and the judge its answer meets this miss's with. */
export interface RefusedForJudging {
  entryKey: string;
  similarity: number;
  judge: JudgeKind;
}

/** What the claim check stores for a fill's request: everything the entry needs besides the answer. */
export interface FillRequest {
  /** The caller's request, forwarded to the provider unchanged. */
  request: Record<string, unknown>;
  context: string;
  model: string;
  semanticText: string;
  embedding?: number[];
  /** The id of the model that made `embedding`; absent in requests stored before models were recorded. */
  embedder?: string;
  /** Judged for free once this miss is answered (a `free` verdict). */
  refused?: RefusedForJudging;
}

/** What the API knows of a request (a miss's spec, a served hit), in its stored form. */
export function fillRequestOf(source: Omit<FillRequest, 'embedding'> & { embedding?: Float32Array }): FillRequest {
  return {
    request: source.request,
    context: source.context,
    model: source.model,
    semanticText: source.semanticText,
    ...(source.embedding ? { embedding: Array.from(source.embedding), embedder: source.embedder } : {}),
    ...(source.refused ? { refused: source.refused } : {}),
  };
}
