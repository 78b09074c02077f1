/**
 * Side effects of the maintenance workflows: index an entry from storage
 * (replay), and remove entries from storage and Milvus (delete, purge).
 * All idempotent: removing what is gone or re-upserting what is indexed
 * changes nothing.
 */
import { tenantFromId } from '../cache/keys/tenant';
import { signBits } from '../vectordb/signBits';
import { Entry, storageKey } from '../cache/storage/entry';
import type { EntryStore } from '../cache/storage/entryStore';
import type { Expiry } from '../cache/storage/expiry';
import type { IndexRecord, MilvusIndex } from '../vectordb/milvus';
import type { ReplayOutcome } from '../workflows/maintenanceDefinitions';

export interface MaintenanceDeps {
  store: EntryStore;
  index: MilvusIndex;
  expiry: Expiry;
}

interface Address {
  tenant: string;
  key: string;
}

/** What Milvus holds for an entry: its address, filter fields and the sign bits of its embedding. */
export type Indexable = Pick<Entry, 'tenant' | 'key' | 'model' | 'context' | 'createdAt' | 'embedding'>;

export function indexRecordOf(entry: Indexable, embedding: number[] = entry.embedding): IndexRecord {
  return {
    storageKey: storageKey(entry.tenant, entry.key),
    tenantNumeric: tenantFromId(entry.tenant).numeric,
    model: entry.model,
    context: entry.context,
    createdAt: entry.createdAt,
    bits: signBits(embedding),
  };
}

export function createMaintenanceActivities(deps: MaintenanceDeps) {
  return {
    async indexStoredEntry({ tenant, key }: Address): Promise<ReplayOutcome> {
      const entry = await deps.store.read(tenant, key);
      if (!entry || deps.expiry.isExpired(entry)) return 'nothing_stored';
      await deps.index.upsert(indexRecordOf(entry));
      return 'indexed';
    },

    async removeEntry({ tenant, key }: Address): Promise<boolean> {
      return deps.store.remove(tenant, key);
    },

    async unindexEntry({ tenant, key }: Address): Promise<void> {
      await deps.index.deleteKeys([storageKey(tenant, key)]);
    },

    async removeTenant({ tenant }: { tenant: string }): Promise<number> {
      return deps.store.removeTenant(tenant);
    },

    async unindexTenant({ tenant }: { tenant: string }): Promise<void> {
      await deps.index.deleteTenant(tenantFromId(tenant).numeric);
    },
  };
}
