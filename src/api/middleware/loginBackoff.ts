/**
 * Wrong admin tokens at POST /admin/login, counted per client address (the
 * socket's: the gateway trusts no forwarding header). The first FREE_TRIES
 * in a row cost nothing; after that each wrong token makes the client wait
 * twice as long as the one before (1 s, 2 s, 4 s … at most 15 min) before
 * its next try counts. While it waits every login is a 429 with Retry-After,
 * the right token included, so the wait cannot be used to test guesses. The
 * right token, once tried in time, clears the count. One replica's count;
 * memory stays bounded (the 10,000 most recent addresses, each forgotten an
 * hour after its last wrong token).
 */
import { LRUCache } from 'lru-cache';
import { GatewayError } from '../../errors';

export const FREE_TRIES = 3;
const FIRST_WAIT_MS = 1_000;
const MAX_WAIT_MS = 15 * 60_000;

interface Failures {
  count: number;
  /** No login from this address counts before this time (ms). */
  until: number;
}

export class LoginBackoff {
  private readonly clients = new LRUCache<string, Failures>({ max: 10_000, ttl: 3_600_000 });

  constructor(private readonly now: () => number = Date.now) {}

  /** Throws a 429 while `client` must wait. */
  check(client: string): void {
    const waitMs = (this.clients.get(client)?.until ?? 0) - this.now();
    if (waitMs <= 0) return;
    const seconds = Math.ceil(waitMs / 1000);
    throw new GatewayError(429, `Too many wrong admin tokens from this address; try again in ${seconds} s.`, 'rate_limit_error', 'admin_login_backoff', null, { 'Retry-After': String(seconds) });
  }

  failed(client: string): void {
    const count = (this.clients.get(client)?.count ?? 0) + 1;
    const waitMs = count > FREE_TRIES ? Math.min(FIRST_WAIT_MS * 2 ** (count - FREE_TRIES - 1), MAX_WAIT_MS) : 0;
    this.clients.set(client, { count, until: this.now() + waitMs });
  }

  succeeded(client: string): void {
    this.clients.delete(client);
  }
}
