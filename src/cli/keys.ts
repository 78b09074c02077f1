/**
 * reflex keys create --name NAME [--namespace NS] [--rpm N] [--model M]... [--expires-in SECONDS | --expires-at ISO]
 * reflex keys list
 * reflex keys revoke ID
 *
 * Works on the key store directly (REFLEX_KEYS_PATH, the directory every API
 * replica reads), so it needs no running gateway and no admin token: file
 * access to the store is the permission. A revoked key stops working at once
 * on every replica. Prints JSON; `create` prints the secret, once.
 */
import { parseArgs } from 'node:util';
import { ZodError } from 'zod';
import { KeyOptions } from '../auth/keyOptions';
import { describeKey, KeyStore } from '../auth/keyStore';
import { TenantHasher } from '../cache/keys/tenant';
import { ConfigError, type Config } from '../config';

export async function keysCommand(config: Config, argv: string[]): Promise<void> {
  const store = new KeyStore(config.auth.keysPath);
  const tenants = TenantHasher.fromConfig(config.auth.tenantSecret, config.home);
  const [action, ...rest] = argv;
  const print = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  if (action === 'list') return print({ object: 'list', data: (await store.list()).map((k) => describeKey(k, tenants)) });
  if (action === 'revoke') {
    const id = rest[0];
    if (!id || rest.length > 1) throw new ConfigError('usage: reflex keys revoke KEY_ID');
    if (!(await store.remove(id))) throw new ConfigError(`no gateway key '${id}'`);
    return print({ id, object: 'key', deleted: true });
  }
  if (action === 'create') {
    try {
      const { key, secret } = await store.create(createOptions(rest));
      return print({ ...describeKey(key, tenants), key: secret });
    } catch (err) {
      if (err instanceof ZodError) throw new ConfigError(`invalid key options: ${err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      throw err;
    }
  }
  throw new ConfigError('usage: reflex keys create|list|revoke (see docs/operations.md)');
}

function createOptions(argv: string[]): KeyOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      name: { type: 'string' },
      namespace: { type: 'string' },
      rpm: { type: 'string' },
      model: { type: 'string', multiple: true },
      'expires-in': { type: 'string' },
      'expires-at': { type: 'string' },
    },
  });
  return {
    name: values.name ?? '',
    namespace: values.namespace,
    rate_limit: values.rpm === undefined ? undefined : { requests_per_minute: Number(values.rpm) },
    models: values.model,
    expires_in: values['expires-in'] === undefined ? undefined : Number(values['expires-in']),
    expires_at: values['expires-at'],
  };
}
