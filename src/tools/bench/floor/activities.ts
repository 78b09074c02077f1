import { setTimeout as sleep } from 'node:timers/promises';

/** Stands in for the provider call: no I/O, so only Temporal's own cost remains. */
export async function reply(question: string): Promise<string> {
  return `answer to ${question}`;
}

/** Stands in for a store/index step: 15 ms of waiting, no CPU. */
export async function work(ms: number): Promise<void> {
  await sleep(ms);
}
