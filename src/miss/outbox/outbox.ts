/**
 * The outbox: answers given while Temporal was unreachable, written durably
 * to the entry store (<root>/<tenant>/outbox/<key>.json, atomic like entries)
 * with everything the fill needs, so nothing answered is lost. A drainer
 * hands each record to the fill workflow once Temporal is back (store +
 * index, never a second provider call) and then removes it.
 */
import type { OutboxRecord } from '../missSpec';

export type { OutboxRecord } from '../missSpec';

export interface Outbox {
  write(record: OutboxRecord): Promise<void>;
  read(tenant: string, key: string): Promise<OutboxRecord | undefined>;
  remove(tenant: string, key: string): Promise<void>;
  /** Every record's address, oldest first where the store knows the order (copies, counts; claims nothing). */
  list(): AsyncGenerator<{ tenant: string; key: string }>;
  /** The records a drainer should hand off now; where workers share a store, ones no other drainer holds. */
  claim(): AsyncGenerator<{ tenant: string; key: string }>;
  /** Removes a tenant's records (a tenant purge). */
  removeTenant(tenant: string): Promise<void>;
}
