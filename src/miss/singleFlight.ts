/**
 * In-process single flight for misses, streamed and JSON alike: the first
 * request for a flight key (leader) gets the answer — through the fill
 * workflow, a relayed provider stream, or degraded mode — and the others
 * (followers) wait for the leader's outcome and get the same answer, as JSON
 * or replayed as a stream. Per API process there is at most one provider call
 * per flight key at a time; across processes the fill's workflow id joins
 * JSON misses.
 */
export class SingleFlight<T> {
  private readonly flights = new Map<string, Promise<T>>();

  /** The running flight for this key, if any (none for an undefined key: a request that joins nothing). */
  join(key: string | undefined): Promise<T> | undefined {
    return key === undefined ? undefined : this.flights.get(key);
  }

  /** Becomes the leader for key; settle() hands the outcome to every follower. */
  lead(key: string | undefined): { settle(outcome: T): void } {
    let settle!: (outcome: T) => void;
    const flight = new Promise<T>((resolve) => (settle = resolve));
    if (key !== undefined) this.flights.set(key, flight);
    return {
      settle: (outcome: T) => {
        if (key !== undefined && this.flights.get(key) === flight) this.flights.delete(key);
        settle(outcome);
      },
    };
  }
}
