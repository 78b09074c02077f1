/**
 * A tenant is the hash of the caller's bearer token: the raw token never
 * leaves the request that carried it. A missing token is one shared
 * anonymous tenant.
 */
import { createHash } from 'node:crypto';

export interface Tenant {
  /** 16 hex chars of sha256(token); used in paths, workflow ids and logs. */
  id: string;
}

const ANONYMOUS = '\u0000reflex-anonymous';

export function tenantFromToken(token: string | undefined): Tenant {
  const digest = createHash('sha256').update(token ?? ANONYMOUS).digest('hex');
  return tenantFromId(digest.slice(0, 16));
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
