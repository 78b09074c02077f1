/**
 * A tenant id is a keyed hash (HMAC-SHA256 with a server secret) of what
 * identifies the caller: a gateway key's cache namespace (REFLEX_AUTH=keys)
 * or the forwarded bearer token (forward). Tenant ids show up in workflow
 * ids, search attributes, entry paths and logs; keyed, they confirm nothing
 * to someone who guesses a token but lacks the secret. Every API replica
 * must share the secret (REFLEX_TENANT_SECRET, or one REFLEX_HOME) or they
 * would file one caller's entries under different tenants.
 */
import { createHmac } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { loadKey } from '../../secretKey';

export interface Tenant {
  /** 16 hex chars of the keyed hash; used in paths, workflow ids and logs. */
  id: string;
}

/** One anonymous tenant: REFLEX_AUTH=none, or forward mode without a token. */
const ANONYMOUS = 'anonymous';

export class TenantHasher {
  /**
   * Tenants of the callers seen lately, so a caller is hashed once, not on
   * every request. In this process's memory only (nothing is written or
   * logged); beyond a few thousand callers the least recent is hashed again
   * when it returns.
   */
  private readonly recent = new LRUCache<string, Tenant>({ max: 4096 });

  constructor(private readonly secret: Buffer) {}

  static fromConfig(configured: string | undefined, home: string): TenantHasher {
    return new TenantHasher(loadKey(configured, home, 'tenant.key'));
  }

  /** forward mode: the caller's own provider token (missing: the anonymous tenant). */
  forToken(token: string | undefined): Tenant {
    return token === undefined ? this.anonymous() : this.hash('token', token);
  }

  /** keys mode: every key with this namespace shares one tenant, hence one cache. */
  forNamespace(namespace: string): Tenant {
    return this.hash('namespace', namespace);
  }

  anonymous(): Tenant {
    return this.hash('anonymous', ANONYMOUS);
  }

  // The kind is part of the message so a token can never collide with a namespace.
  private hash(kind: string, value: string): Tenant {
    const message = `${kind}\u0000${value}`;
    let tenant = this.recent.get(message);
    if (!tenant) {
      tenant = { id: createHmac('sha256', this.secret).update(message).digest('hex').slice(0, 16) };
      this.recent.set(message, tenant);
    }
    return tenant;
  }
}

/** Extracts the token from an Authorization header value ("Bearer x"). */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return match?.[1]?.trim() || undefined;
}
