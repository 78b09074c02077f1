/**
 * A tenant is the hash of the caller's bearer token: the raw token never
 * leaves the request that carried it. A missing token is one shared
 * anonymous tenant.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

export interface Tenant {
  /** 16 hex chars of sha256(token); used in paths, workflow ids and logs. */
  id: string;
}

const ANONYMOUS = '\u0000reflex-anonymous';

/**
 * Tenants of the tokens seen lately, so a caller's token is hashed once, not
 * on every request. In this process's memory only (nothing is written or
 * logged); a few thousand callers fit, beyond that the least recent is hashed
 * again when it returns.
 */
const recentTenants = new LRUCache<string, Tenant>({ max: 4096 });

export function tenantFromToken(token: string | undefined): Tenant {
  const input = token ?? ANONYMOUS;
  let tenant = recentTenants.get(input);
  if (!tenant) {
    tenant = tenantFromId(createHash('sha256').update(input).digest('hex').slice(0, 16));
    recentTenants.set(input, tenant);
  }
  return tenant;
}

/** The tenant behind an id an operator copied from the UI or logs (16 hex chars). */
export function tenantFromId(id: string): Tenant {
  if (!/^[0-9a-f]{16}$/.test(id)) throw new Error('a tenant id is 16 lowercase hex characters');
  return { id };
}

/** Extracts the token from an Authorization header value ("Bearer x"). */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return match?.[1]?.trim() || undefined;
}
