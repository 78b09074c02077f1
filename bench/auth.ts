/**
 * The cost that authentication adds to every /v1 request, in process (no HTTP):
 *   node dist-bench/bench/auth.js [--n 100000] [--dir /path/on/the/keys/filesystem] [--database-url postgres://…]
 * keys mode (sha256 of the secret + one stat of the key file + keyed tenant
 * hash), keys mode with a rate limit, forward mode (keyed tenant hash only),
 * and an unknown key (the stat misses). With --database-url, also the
 * PostgreSQL key store (a map lookup) and the shared rate limit (one upsert).
 * Reports p50, p99 and mean in microseconds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Authenticator } from '../src/auth/authenticate';
import { FileKeyStore } from '../src/auth/fileKeyStore';
import type { KeyStore } from '../src/auth/keyStore';
import { PgKeyStore } from '../src/auth/pgKeyStore';
import { KeyRateLimiter } from '../src/auth/rateLimit';
import { LeasedCount } from '../src/auth/leasedCount';
import { Database } from '../src/postgres/database';
import { TenantHasher } from '../src/cache/keys/tenant';
import { scriptArgs } from './scriptArgs';

async function time(n: number, call: () => unknown): Promise<{ p50Us: number; p99Us: number; meanUs: number }> {
  const samples = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const result = call();
    if (result instanceof Promise) await result;
    samples[i] = performance.now() - t0;
  }
  samples.sort();
  const at = (q: number) => round(samples[Math.floor(n * q)]! * 1000);
  return { p50Us: at(0.5), p99Us: at(0.99), meanUs: round((samples.reduce((a, b) => a + b, 0) / n) * 1000) };
}

const round = (us: number) => Math.round(us * 100) / 100;

async function main(): Promise<void> {
  const { values } = scriptArgs(process.argv.slice(2), {
    summary: 'The CPU cost authentication adds to every /v1 request, in process: keys mode, a rate-limited key, forward mode and an unknown key.',
    options: {
      n: { type: 'string', default: '100000', description: 'requests per case' },
      dir: { type: 'string', description: 'keep the key files on this filesystem (default: the temp dir)' },
      'database-url': { type: 'string', description: 'also measure the PostgreSQL key store and the shared rate limit there' },
    },
  });
  const n = Number(values.n);
  const dir = mkdtempSync(path.join(values.dir ?? os.tmpdir(), 'reflex-auth-bench-'));
  try {
    const store = new FileKeyStore(dir);
    const tenants = new TenantHasher(Buffer.alloc(32, 1));
    const keys = new Authenticator('keys', store, tenants, 'sk-upstream');
    const forward = new Authenticator('forward', store, tenants, undefined);
    const limiter = new KeyRateLimiter();
    const plain = (await store.create({ name: 'bench' })).secret;
    const limited = await store.create({ name: 'bench-limited', rate_limit: { requests_per_minute: 1_000_000 } });
    const results = {
      keys: await time(n, () => keys.identify(`Bearer ${plain}`)),
      keysWithRateLimit: await time(n, async () => {
        const caller = keys.identify(`Bearer ${limited.secret}`);
        await limiter.take(caller.key!.id, 1_000_000);
      }),
      forward: await time(n, () => forward.identify('Bearer sk-caller-token')),
      unknownKey: await time(n, () => {
        try {
          keys.identify('Bearer rfx-unknown');
        } catch {
          /* 401 */
        }
      }),
    };
    const url = values['database-url'];
    const postgres = url ? await timePostgres(url, n, tenants) : undefined;
    console.log(JSON.stringify({ n, dir: path.dirname(dir), ...results, ...postgres }, null, 2));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The same two cases with the PostgreSQL store and the shared limiter (migrated first). */
async function timePostgres(url: string, n: number, tenants: TenantHasher) {
  const db = new Database(url);
  try {
    await db.migrate();
    const store: KeyStore = await PgKeyStore.open(db, 1000);
    const keys = new Authenticator('keys', store, tenants, 'sk-upstream');
    const limiter = new KeyRateLimiter(new LeasedCount(db.pool));
    const plain = (await store.create({ name: 'bench-pg' })).secret;
    const limited = await store.create({ name: 'bench-pg-limited', rate_limit: { requests_per_minute: 1_000_000 } });
    const result = {
      postgresKeys: await time(n, () => keys.identify(`Bearer ${plain}`)),
      postgresKeysWithSharedRateLimit: await time(Math.min(n, 20_000), async () => {
        const caller = keys.identify(`Bearer ${limited.secret}`);
        await limiter.take(caller.key!.id, 1_000_000);
      }),
    };
    await store.close?.();
    return result;
  } finally {
    await db.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
