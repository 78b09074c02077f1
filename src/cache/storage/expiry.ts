/** REFLEX_TTL as a rule on entries: an entry older than the TTL is never served (0 = entries never expire). */
export class Expiry {
  constructor(readonly ttlMs: number) {}

  static fromSeconds(seconds: number): Expiry {
    return new Expiry(seconds * 1000);
  }

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  /** Entries created before this instant are expired; undefined when nothing expires. */
  cutoff(now = Date.now()): number | undefined {
    return this.enabled ? now - this.ttlMs : undefined;
  }

  isExpired(entry: { createdAt: number }, now = Date.now()): boolean {
    return this.enabled && entry.createdAt < now - this.ttlMs;
  }
}

export const NEVER_EXPIRES = new Expiry(0);
