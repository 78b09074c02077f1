/** A one-line progress bar on stderr, and a bounded-concurrency map. */

export class Progress {
  private done = 0;
  private readonly tty = process.stderr.isTTY === true;

  constructor(private readonly label: string, private readonly total: number) {}

  tick(): void {
    this.done++;
    // Redraw in place on a terminal; in logs, one line every 10% is enough.
    const step = Math.max(1, Math.floor(this.total / 10));
    if (!this.tty && this.done % step !== 0 && this.done !== this.total) return;
    const width = 30;
    const filled = Math.round((this.done / Math.max(1, this.total)) * width);
    const bar = `${this.label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${this.done}/${this.total}`;
    process.stderr.write(this.tty ? `\r${bar}${this.done === this.total ? '\n' : ''}` : `${bar}\n`);
  }
}

/** Like Promise.all(items.map(fn)) with at most `limit` calls in flight; results keep input order. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, progress: Progress, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
      progress.tick();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
