/**
 * Gateway keys: what a key is, and the store every API replica reads. Keys
 * are filed by the sha256 of their secret; the secret itself is never stored
 * (it is 32 random bytes, so its hash cannot be inverted or guessed). Two
 * stores: files under REFLEX_KEYS_PATH (fileKeyStore.ts, the embedded
 * default) and PostgreSQL when REFLEX_DATABASE_URL is set (pgKeyStore.ts).
 * `find` is synchronous in both: it runs on every /v1 request.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { TenantHasher } from '../cache/keys/tenant';
import { KeyOptions, keyOptionsSchema } from './keyOptions';

export interface GatewayKey {
  version: 1;
  id: string;
  name: string;
  /** The cache this key reads and writes; keys sharing it share hits. */
  namespace: string;
  rate_limit?: { requests_per_minute: number };
  models?: string[];
  expires_at?: string;
  created_at: string;
}

export interface KeyStore {
  create(options: KeyOptions, now?: Date): Promise<{ key: GatewayKey; secret: string }>;
  /** The key behind a secret, or undefined; throws a GatewayError when the store cannot answer truthfully. */
  find(secret: string): GatewayKey | undefined;
  /** Every key, oldest first (no secrets, no hashes). */
  list(): Promise<GatewayKey[]>;
  /** Revokes a key; false when no key has this id. */
  remove(id: string): Promise<boolean>;
  /** Every key with the hash of its secret, in hash order (moving keys between stores: `reflex migrate-store`). */
  exportAll(): Promise<StoredKey[]>;
  /** Stores a key under its secret's hash (the other half of exportAll); replaces one already there. */
  importKey(stored: StoredKey): Promise<void>;
  close?(): Promise<void>;
}

export interface StoredKey {
  hash: string;
  key: GatewayKey;
}

/** Shown once, at creation; "rfx-" marks it as a gateway key in logs and secret scanners. */
const SECRET_PREFIX = 'rfx-';
export const KEY_ID = /^key_[0-9a-f]{16}$/;

/** A new key from validated options, its secret and the secret's hash (what a store files it by). */
export function newKey(options: KeyOptions, now = new Date()): { key: GatewayKey; secret: string; hash: string } {
  const o = keyOptionsSchema.parse(options);
  const id = `key_${randomBytes(8).toString('hex')}`;
  const expiresAt = o.expires_at ?? (o.expires_in ? new Date(now.getTime() + o.expires_in * 1000).toISOString() : undefined);
  const key: GatewayKey = {
    version: 1,
    id,
    name: o.name,
    namespace: o.namespace ?? id,
    ...(o.rate_limit && { rate_limit: o.rate_limit }),
    ...(o.models && { models: o.models }),
    ...(expiresAt && { expires_at: new Date(expiresAt).toISOString() }),
    created_at: now.toISOString(),
  };
  const secret = SECRET_PREFIX + randomBytes(32).toString('base64url');
  return { key, secret, hash: hashOf(secret) };
}

export const byCreation = (a: GatewayKey, b: GatewayKey) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id);

/** What an operator sees of a key: its settings and the tenant id its cache is filed under. */
export function describeKey(key: GatewayKey, tenants: TenantHasher) {
  const { version: _version, ...settings } = key;
  return { ...settings, object: 'key', tenant: tenants.forNamespace(key.namespace).id, expired: isExpired(key) };
}

export const isExpired = (key: GatewayKey, now = Date.now()) => key.expires_at !== undefined && Date.parse(key.expires_at) <= now;

export const hashOf = (secret: string) => createHash('sha256').update(secret).digest('hex');

/** What importKey accepts as a secret's hash (what hashOf gives); anything else would file a key no secret finds. */
export function checkKeyHash(hash: string): void {
  if (!/^[0-9a-f]{64}$/.test(hash)) throw new Error(`invalid key hash ${hash}`);
}

export function parseKey(value: unknown): GatewayKey | undefined {
  try {
    const key = (typeof value === 'string' ? JSON.parse(value) : value) as GatewayKey;
    return key?.version === 1 && typeof key.id === 'string' && typeof key.namespace === 'string' ? key : undefined;
  } catch {
    return undefined;
  }
}
