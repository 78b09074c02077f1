/**
 * Gateway keys, one JSON file per key under REFLEX_KEYS_PATH, named by the
 * sha256 of the secret: the secret itself is never stored (it is 32 random
 * bytes, so its hash cannot be inverted or guessed). Every API replica reads
 * the same directory. Revoking deletes the file, and each request stats its
 * key's file (a few microseconds, no extra I/O when unchanged), so a revoked
 * key stops working at once on every replica; parsed files are cached by
 * mtime. Files are written atomically with the entry store's helper.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { TenantHasher } from '../cache/keys/tenant';
import { syncDir, writeFileAtomic } from '../cache/storage/atomicFile';
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

/** Shown once, at creation; "rfx-" marks it as a gateway key in logs and secret scanners. */
const SECRET_PREFIX = 'rfx-';
const ID = /^key_[0-9a-f]{16}$/;

export class KeyStore {
  private readonly parsed = new Map<string, { mtimeMs: number; key: GatewayKey }>();

  constructor(readonly dir: string) {}

  async create(options: KeyOptions, now = new Date()): Promise<{ key: GatewayKey; secret: string }> {
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
    await writeFileAtomic(this.fileOf(hashOf(secret)), JSON.stringify(key));
    return { key, secret };
  }

  /**
   * The key behind a secret, or undefined. Synchronous on purpose: one stat
   * per request (~5 µs) where an async stat costs a thread-pool round trip
   * (~70 µs); the file is read again only when its mtime changed.
   */
  find(secret: string): GatewayKey | undefined {
    const hash = hashOf(secret);
    const file = this.fileOf(hash);
    const stat = statSync(file, { throwIfNoEntry: false });
    if (!stat) {
      this.parsed.delete(hash);
      return undefined;
    }
    const cached = this.parsed.get(hash);
    if (cached?.mtimeMs === stat.mtimeMs) return cached.key;
    const key = parseKey(readFileSync(file, 'utf8'));
    if (key) this.parsed.set(hash, { mtimeMs: stat.mtimeMs, key });
    return key;
  }

  /** Every key, oldest first (no secrets, no hashes). */
  async list(): Promise<GatewayKey[]> {
    return (await this.files()).map((f) => f.key).sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
  }

  /** Revokes a key; false when no key has this id. */
  async remove(id: string): Promise<boolean> {
    if (!ID.test(id)) return false;
    const found = (await this.files()).find((f) => f.key.id === id);
    if (!found) return false;
    await fs.rm(found.file, { force: true });
    await syncDir(this.dir);
    return true;
  }

  private fileOf(hash: string): string {
    return path.join(this.dir, `${hash}.json`);
  }

  private async files(): Promise<{ file: string; key: GatewayKey }[]> {
    const names = await fs.readdir(this.dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[];
      throw err;
    });
    const found: { file: string; key: GatewayKey }[] = [];
    for (const name of names.filter((n) => /^[0-9a-f]{64}\.json$/.test(n))) {
      const file = path.join(this.dir, name);
      const key = parseKey(await fs.readFile(file, 'utf8').catch(() => ''));
      if (key) found.push({ file, key });
    }
    return found;
  }
}

/** What an operator sees of a key: its settings and the tenant id its cache is filed under. */
export function describeKey(key: GatewayKey, tenants: TenantHasher) {
  const { version: _version, ...settings } = key;
  return { ...settings, object: 'key', tenant: tenants.forNamespace(key.namespace).id, expired: isExpired(key) };
}

export const isExpired = (key: GatewayKey, now = Date.now()) => key.expires_at !== undefined && Date.parse(key.expires_at) <= now;

const hashOf = (secret: string) => createHash('sha256').update(secret).digest('hex');

function parseKey(text: string): GatewayKey | undefined {
  try {
    const key = JSON.parse(text) as GatewayKey;
    return key?.version === 1 && typeof key.id === 'string' && typeof key.namespace === 'string' ? key : undefined;
  } catch {
    return undefined;
  }
}
