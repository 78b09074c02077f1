/**
 * The exact key of one embeddings input item: the model, the requested
 * dimensions and the item itself (text or token ids). `encoding_format` is
 * deliberately not in it: float and base64 are two spellings of the same
 * float32 vector, so both are served from one stored copy and rendered per
 * request. The tenant is not hashed in; it is the store's top folder.
 */
import { canonicalJson } from '../keys/canonical';
import { sha256 } from '../keys/cacheKey';
import type { EmbeddingItem } from '../../wire/embeddings';

export function embeddingItemKey(model: string, dimensions: number | undefined, item: EmbeddingItem): string {
  return sha256(canonicalJson({ endpoint: 'embeddings', model, dimensions: dimensions ?? null, item }));
}
