/**
 * L1: exact-key lookup. An in-process LRU in front of the entry store, so a
 * repeat is answered from memory, and after a restart from the entry file.
 */
import { LRUCache } from 'lru-cache';
import { Entry } from '../storage/entry';
import { EntryStore } from '../storage/entryStore';

export class ExactCache {
  private readonly lru: LRUCache<string, Entry>;

  constructor(private readonly store: EntryStore, capacity: number) {
    this.lru = new LRUCache({ max: capacity });
  }

  /** Memory first, then disk (promoting what disk had). */
  async get(tenant: string, key: string): Promise<Entry | undefined> {
    const id = `${tenant}:${key}`;
    const hot = this.lru.get(id);
    if (hot) return hot;
    const cold = await this.store.read(tenant, key);
    if (cold) this.lru.set(id, cold);
    return cold;
  }

  remember(entry: Entry): void {
    this.lru.set(`${entry.tenant}:${entry.key}`, entry);
  }
}
