/** One cached answer, as stored on disk: everything needed to serve it and to re-index it. */
import type { ChatCompletion } from '../../wire/chat';

export const ENTRY_FORMAT_VERSION = 1;


export interface Entry {
  version: typeof ENTRY_FORMAT_VERSION;
  tenant: string;
  key: string;
  /** Hash of everything but the last user turn's text; semantic hits require it to match. */
  context: string;
  model: string;
  createdAt: number;
  semanticText: string;
  /** Full-precision, L2-normalised embedding of semanticText (used for rescoring). */
  embedding: number[];
  /**
   * The id of the model that made `embedding` (modelInfo.ts). L2 compares only
   * vectors of its own model: an entry of another (or, written before ids were
   * recorded, an unknown) model is not a semantic candidate until `reflex
   * reindex` embeds it again. Exact hits do not depend on it.
   */
  embedder?: string;
  response: ChatCompletion;
}

/** Where an entry lives in the store; also the Milvus `storage_key` field. */
export const storageKey = (tenant: string, key: string) => `${tenant}/${key}`;

export function isEntry(value: unknown): value is Entry {
  const e = value as Partial<Entry> | null;
  return (
    !!e &&
    e.version === ENTRY_FORMAT_VERSION &&
    typeof e.tenant === 'string' &&
    typeof e.key === 'string' &&
    typeof e.context === 'string' &&
    Array.isArray(e.embedding) &&
    !!e.response &&
    typeof e.response === 'object'
  );
}
