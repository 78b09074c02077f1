/** Polls `check` until it returns true or `ms` pass: for effects that land asynchronously (slower on a loaded machine). */
import { setTimeout as sleep } from 'node:timers/promises';

export async function eventually(check: () => boolean | Promise<boolean>, ms = 10_000, everyMs = 50): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
}
