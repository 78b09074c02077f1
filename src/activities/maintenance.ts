/**
 * Side effects of the maintenance workflows: index an entry from storage
 * (replay), and remove entries from storage and Milvus (delete, purge).
 * All idempotent: removing what is gone or re-upserting what is indexed
 * changes nothing.
 */
import type { EntryStore } from '../cache/storage/entryStore';
import type { Expiry } from '../cache/storage/expiry';
import type { VectorIndex } from '../cache/vectordb/index';
import { indexRecordOf } from '../cache/vectordb/record';

export interface MaintenanceDeps {
  store: EntryStore;
  index: VectorIndex;
  expiry: Expiry;
  /** Empties every store of a tenant, each its own (the composition root's stores); returns how many entries it had. */
  removeTenant(tenant: string): Promise<number>;
}

/** `indexed`: the stored entry is in Milvus now; `nothing_stored`: the fill never stored it (or it expired), nothing to do. */
export type ReplayOutcome = 'indexed' | 'nothing_stored';

interface Address {
  tenant: string;
  key: string;
}

export function createMaintenanceActivities(deps: MaintenanceDeps) {
  return {
    async indexStoredEntry({ tenant, key }: Address): Promise<ReplayOutcome> {
      const entry = await deps.store.read(tenant, key);
      if (!entry || deps.expiry.isExpired(entry)) return 'nothing_stored';
      await deps.index.upsert([indexRecordOf(entry)]);
      return 'indexed';
    },

    async removeEntry({ tenant, key }: Address): Promise<boolean> {
      return deps.store.remove(tenant, key);
    },

    async unindexEntry({ tenant, key }: Address): Promise<void> {
      await deps.index.delete([{ tenant, key }]);
    },

    async removeTenant({ tenant }: { tenant: string }): Promise<number> {
      return deps.removeTenant(tenant);
    },

    async unindexTenant({ tenant }: { tenant: string }): Promise<void> {
      await deps.index.deleteTenant(tenant);
    },
  };
}
