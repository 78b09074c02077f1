/**
 * Whether this process currently believes Temporal is reachable. After a
 * failure, misses go straight to degraded mode instead of each waiting for
 * the connection to time out; one attempt every RETRY_MS finds Temporal
 * again (so does a successful /ready probe).
 */
const RETRY_MS = 2_000;

export class TemporalHealth {
  private downSince: number | undefined;
  private lastTry = 0;

  constructor(private readonly onChange: (degraded: boolean) => void = () => undefined) {}

  get degraded(): boolean {
    return this.downSince !== undefined;
  }

  /** Worth trying Temporal now: it is up, or it is time for the next attempt. */
  usable(now = Date.now()): boolean {
    if (this.downSince === undefined) return true;
    if (now - this.lastTry < RETRY_MS) return false;
    this.lastTry = now;
    return true;
  }

  failed(now = Date.now()): void {
    this.lastTry = now;
    if (this.downSince !== undefined) return;
    this.downSince = now;
    this.onChange(true);
  }

  succeeded(): void {
    if (this.downSince === undefined) return;
    this.downSince = undefined;
    this.onChange(false);
  }
}
