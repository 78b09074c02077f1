/**
 * In-process single flight for streaming misses. A stream cannot go through
 * a Temporal update, so identical concurrent streaming misses are coalesced
 * here instead: the first request (leader) streams from the provider; the
 * others (followers) wait for the leader's completed answer and get it
 * replayed. Per API process there is at most one provider stream per flight
 * key at a time, so N processes make at most N identical provider calls.
 */
export class SingleFlight<T> {
  private readonly flights = new Map<string, Promise<T>>();

  /** The running flight for this key, if any. */
  join(key: string): Promise<T> | undefined {
    return this.flights.get(key);
  }

  /** Becomes the leader for key; settle() hands the outcome to every follower. */
  lead(key: string): { settle(outcome: T): void } {
    let settle!: (outcome: T) => void;
    this.flights.set(key, new Promise<T>((resolve) => (settle = resolve)));
    return {
      settle: (outcome: T) => {
        this.flights.delete(key);
        settle(outcome);
      },
    };
  }
}
