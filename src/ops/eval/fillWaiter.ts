/**
 * Waits until a miss's fill workflow has indexed the entry, so the eval asks
 * `b` only once `a` can be found. Uses the workflow id the gateway returns in
 * X-Reflex-Fill-Id; without it (or without Temporal) it sleeps a fixed time.
 */
import { Client, Connection } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { withDeadline } from '../../deadline';
import { workflowClosed } from '../../temporal/workflowClosed';

const FILL_TIMEOUT_MS = 60_000;

export class FillWaiter {
  private failures = 0;

  private constructor(
    private readonly client: Client | undefined,
    private readonly connection: Connection | undefined,
    private readonly fallbackMs: number,
    private readonly log: (line: string) => void,
  ) {}

  static async connect(address: string, namespace: string, fallbackMs: number, log: (line: string) => void): Promise<FillWaiter> {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 5000 });
      return new FillWaiter(new Client({ connection, namespace }), connection, fallbackMs, log);
    } catch (err) {
      log(`temporal at ${address} unreachable (${err instanceof Error ? err.message : String(err)}); waiting ${fallbackMs} ms per fill instead`);
      return new FillWaiter(undefined, undefined, fallbackMs, log);
    }
  }

  async wait(workflowId: string | undefined): Promise<void> {
    if (!workflowId || !this.client) return sleep(this.fallbackMs);
    try {
      const done = workflowClosed(this.client, workflowId);
      await withDeadline(done, FILL_TIMEOUT_MS, () => new Error('timed out'));
    } catch (err) {
      // A failed or slow fill means `a` may not be indexed: the pair then scores as a miss, which is honest.
      if (this.failures++ < 5) this.log(`fill ${workflowId} did not complete: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async waitAll(ids: Array<string | undefined>): Promise<void> {
    const known = [...new Set(ids.filter((id): id is string => !!id))];
    if (known.length < ids.length) await sleep(this.fallbackMs);
    for (const id of known) await this.wait(id);
  }

  async close(): Promise<void> {
    await this.connection?.close();
  }
}
