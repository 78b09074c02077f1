/**
 * `reflex keys create|list|revoke`: gateway keys, on the key store directly
 * (REFLEX_KEYS_PATH, the directory every API replica reads, or the PostgreSQL
 * of REFLEX_DATABASE_URL), so it needs no running gateway and no admin token:
 * access to the store is the permission. A revoked key stops working on every
 * replica at once (PostgreSQL: within REFLEX_KEYS_REFRESH_MS). Prints JSON;
 * `create` prints the secret, once.
 */
import { ZodError } from 'zod';
import type { KeyOptions } from '../../auth/keyOptions';
import { describeKey, KeyStore } from '../../auth/keyStore';
import { openStores } from '../../stores';
import { TenantHasher } from '../../cache/keys/tenant';
import { ConfigError, type Config } from '../../config';

export interface CreateKeyOptions {
  name: string;
  namespace?: string;
  rpm?: number;
  model?: string[];
  expiresIn?: number;
  expiresAt?: string;
}

export async function createKey(config: Config, opts: CreateKeyOptions): Promise<void> {
  await withStore(config, async (store, tenants) => {
  const options: KeyOptions = {
    name: opts.name,
    namespace: opts.namespace,
    rate_limit: opts.rpm === undefined ? undefined : { requests_per_minute: opts.rpm },
    models: opts.model,
    expires_in: opts.expiresIn,
    expires_at: opts.expiresAt,
  };
    try {
      const { key, secret } = await store.create(options);
      print({ ...describeKey(key, tenants), key: secret });
    } catch (err) {
      if (err instanceof ZodError) throw new ConfigError(`invalid key options: ${err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      throw err;
    }
  });
}

export async function listKeys(config: Config): Promise<void> {
  await withStore(config, async (store, tenants) => print({ object: 'list', data: (await store.list()).map((k) => describeKey(k, tenants)) }));
}

export async function revokeKey(config: Config, id: string): Promise<void> {
  await withStore(config, async (store) => {
    if (!(await store.remove(id))) throw new ConfigError(`no gateway key '${id}'`);
    print({ id, object: 'key', deleted: true });
  });
}

async function withStore(config: Config, use: (store: KeyStore, tenants: TenantHasher) => Promise<void>): Promise<void> {
  const stores = await openStores(config);
  try {
    await use(await stores.keys(), TenantHasher.fromConfig(config.auth.tenantSecret, config.home));
  } finally {
    await stores.close();
  }
}

const print = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
