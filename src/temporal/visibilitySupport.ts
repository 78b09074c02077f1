/**
 * Whether the cluster knows the Reflex search attributes. The embedded dev
 * server registers them at start; an existing cluster may not have them yet
 * (see docs/operations.md). Starting a workflow with an unknown attribute is
 * an error, so workflows are labelled only when all are registered (an
 * optional one, added later, only where it is); the memo carries the same
 * labels either way.
 */
import type { Connection } from '@temporalio/client';
import type { Logger } from 'pino';
import { OPTIONAL_ATTRIBUTE_NAMES, REFLEX_ATTRIBUTE_NAMES } from '../workflows/visibility';

const RECHECK_MS = 60_000;

export class VisibilitySupport {
  private known: boolean | undefined;
  private checkedAt = 0;
  private registered = new Set<string>();

  constructor(
    private readonly connection: Connection,
    private readonly namespace: string,
    private readonly log: Logger,
  ) {}

  /** True once all attributes exist; a "no" is re-asked every minute so registering them later takes effect. */
  async available(): Promise<boolean> {
    if (this.known || (this.known === false && Date.now() - this.checkedAt < RECHECK_MS)) return this.known;
    try {
      const { customAttributes } = await this.connection.operatorService.listSearchAttributes({ namespace: this.namespace });
      this.registered = new Set(REFLEX_ATTRIBUTE_NAMES.filter((name) => customAttributes?.[name]));
      const missing = REFLEX_ATTRIBUTE_NAMES.filter((name) => !this.registered.has(name) && !OPTIONAL_ATTRIBUTE_NAMES.includes(name));
      if (missing.length && this.known !== false) this.log.warn({ missing }, 'Reflex search attributes are not registered; workflows carry the memo only');
      this.known = missing.length === 0;
      this.checkedAt = Date.now();
      return this.known;
    } catch {
      return false; // Temporal unreachable: the start will fail on its own; ask again next time.
    }
  }

  /** Whether an optional attribute (OPTIONAL_ATTRIBUTE_NAMES) was registered when available() last asked. */
  has(name: string): boolean {
    return this.registered.has(name);
  }
}
