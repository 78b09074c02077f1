/**
 * Background work on an interval that never overlaps itself: a tick still
 * running when the next is due is not doubled, a failed tick is logged and
 * tried again next interval, and stop() waits for the tick in flight.
 */
import type { Logger } from 'pino';

export class Periodic {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly work: () => Promise<unknown>,
    private readonly log: Logger,
    /** Names the work in the warning a failed tick logs. */
    private readonly what: string,
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.running ??= this.work()
        .catch((err: unknown) => this.log.warn({ err: String(err) }, `${this.what} failed; retrying next interval`))
        .finally(() => (this.running = undefined));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
