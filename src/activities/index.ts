/**
 * The fill workflow's side effects. Each is small and idempotent, so Temporal
 * can retry it: the provider call (retried only for 429/5xx/transport
 * failures), embedding, the atomic entry write, and the Milvus upsert (keyed
 * by tenant/key, so a retry or a re-fill overwrites instead of duplicating).
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Embedder } from '../cache/embedding/embedder';
import type { Entry } from '../cache/storage/entry';
import type { EntryStore } from '../cache/storage/entryStore';
import type { Expiry } from '../cache/storage/expiry';
import { TOKEN_KEY_MISMATCH, TokenKeyMismatch, type TokenSeal } from '../provider/credentials';
import { UpstreamError } from '../provider/failure';
import type { Provider, ProviderEndpoint } from '../provider/provider';
import type { ChatCompletion } from '../provider/wire';
import type { VectorIndex } from '../vectordb/index';
import { Indexable, indexRecordOf } from '../vectordb/record';
import { createMaintenanceActivities } from './maintenance';

export interface ActivityDeps {
  provider: Provider;
  /** The configured upstream key; when unset the caller's sealed token is used. */
  upstreamKey: string | undefined;
  seal: TokenSeal;
  embedder: Embedder;
  store: EntryStore;
  index: VectorIndex;
  expiry: Expiry;
}

export interface ProviderCall {
  /** Absent = chat completions. */
  endpoint?: ProviderEndpoint;
  request: Record<string, unknown>;
  sealedToken?: string;
  /** The API request that started the fill; only for logs. */
  requestId?: string;
}

export interface IndexCall extends Indexable {
  requestId?: string;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createMaintenanceActivities(deps),
    async callProvider(call: ProviderCall): Promise<ChatCompletion> {
      const apiKey = deps.upstreamKey ?? (call.sealedToken ? unseal(deps.seal, call.sealedToken) : undefined);
      try {
        if (call.endpoint === 'responses') return await deps.provider.respond(call.request, apiKey);
        return await deps.provider.complete(call.request, apiKey);
      } catch (err) {
        if (!(err instanceof UpstreamError)) throw err;
        throw ApplicationFailure.create({
          message: err.message,
          type: err.failure.retryable ? 'ProviderServerError' : 'ProviderClientError',
          nonRetryable: !err.failure.retryable,
          details: [err.failure],
        });
      }
    },

    /** The stored answer for (tenant, key), if a previous fill already wrote it. */
    async readStoredAnswer(address: { tenant: string; key: string }): Promise<ChatCompletion | null> {
      const entry = await deps.store.read(address.tenant, address.key);
      // An expired entry is refilled, never served.
      return entry && !deps.expiry.isExpired(entry) ? entry.response : null;
    },

    async embed(text: string): Promise<number[]> {
      return Array.from(await deps.embedder.embed(text));
    },

    async writeEntry(entry: Entry): Promise<void> {
      await deps.store.write(entry);
    },

    async indexEntry(call: IndexCall): Promise<void> {
      await deps.index.upsert([indexRecordOf(call)]);
    },
  };
}

export type FillActivities = ReturnType<typeof createActivities>;

/** A key mismatch is a deployment error: retrying cannot help, and the client must be told plainly. */
function unseal(seal: TokenSeal, sealed: string): string {
  try {
    return seal.unseal(sealed);
  } catch (err) {
    if (!(err instanceof TokenKeyMismatch)) throw err;
    throw ApplicationFailure.create({ message: err.message, type: TOKEN_KEY_MISMATCH, nonRetryable: true, details: [err.toFailure()] });
  }
}
