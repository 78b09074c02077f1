/**
 * Upserts in groups: while one upsert is in flight, the records that arrive
 * wait and go out together as the next one (group commit). Alone, a record
 * goes out at once, so a quiet gateway waits for nothing; under load, fills
 * that finish together share one Milvus call, which costs the gateway and
 * Milvus about the same for a few records as for one. Each caller learns how
 * its own group fared: a failed group fails every caller in it, and each
 * retries its own write as before.
 */
import type { IndexRecord, VectorIndex } from './index';

interface Waiting {
  records: IndexRecord[];
  resolve(): void;
  reject(err: unknown): void;
}

/** The most records one grouped call carries. */
const MAX_GROUP = 256;

export class GroupedUpserts implements VectorIndex {
  private waiting: Waiting[] = [];
  private inFlight = false;

  constructor(private readonly index: VectorIndex) {}

  upsert(records: IndexRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => this.waiting.push({ records, resolve, reject }));
    if (!this.inFlight) void this.flush();
    return done;
  }

  private async flush(): Promise<void> {
    this.inFlight = true;
    while (this.waiting.length > 0) {
      const group = this.take();
      try {
        await this.index.upsert(latestOfEach(group.flatMap((w) => w.records)));
        for (const w of group) w.resolve();
      } catch (err) {
        for (const w of group) w.reject(err);
      }
    }
    this.inFlight = false;
  }

  /** The waiting callers whose records fit one call (at least one caller). */
  private take(): Waiting[] {
    let count = 0;
    let n = 0;
    while (n < this.waiting.length && (n === 0 || count + this.waiting[n]!.records.length <= MAX_GROUP)) count += this.waiting[n++]!.records.length;
    return this.waiting.splice(0, n);
  }

  search: VectorIndex['search'] = (...args) => this.index.search(...args);
  present: VectorIndex['present'] = (...args) => this.index.present(...args);
  delete: VectorIndex['delete'] = (...args) => this.index.delete(...args);
  deleteTenant: VectorIndex['deleteTenant'] = (...args) => this.index.deleteTenant(...args);
  deleteCreatedBefore: VectorIndex['deleteCreatedBefore'] = (...args) => this.index.deleteCreatedBefore(...args);
  drop: VectorIndex['drop'] = () => this.index.drop();
  check: VectorIndex['check'] = () => this.index.check();
  close: VectorIndex['close'] = () => this.index.close();
}

/** One record per entry, the last one given: a call must not carry the same primary key twice. */
function latestOfEach(records: IndexRecord[]): IndexRecord[] {
  const byAddress = new Map<string, IndexRecord>();
  for (const r of records) byAddress.set(`${r.tenant}/${r.key}`, r);
  return [...byAddress.values()];
}
