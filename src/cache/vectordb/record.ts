/** The one way an entry becomes an index record: fills, replay and reindex all build it here. */
import type { IndexRecord } from './index';
import { signBits } from './signBits';

/** What the index needs of an entry: its address, filter fields and full-precision embedding. */
export interface Indexable {
  tenant: string;
  key: string;
  model: string;
  context: string;
  createdAt: number;
  embedding: ArrayLike<number>;
}

export function indexRecordOf(entry: Indexable, embedding: ArrayLike<number> = entry.embedding): IndexRecord {
  const { tenant, key, model, context, createdAt } = entry;
  return { tenant, key, model, context, createdAt, bits: signBits(embedding) };
}
