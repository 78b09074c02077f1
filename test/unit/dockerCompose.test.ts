/**
 * No Docker engine runs here, so docker-compose.yml is checked statically:
 * it parses, every REFLEX_* it sets is a real setting (and its literal values
 * pass the schema), every image is pinned, every long-running service has a
 * health check, and the production shape is there (API replicas and workers
 * on the gateway's own PostgreSQL database with no shared volume, Temporal on
 * PostgreSQL, Milvus with etcd and MinIO, the search attributes registered),
 * and nothing without authentication is published on the host by default.
 * The Compose schema and the env each process gets: deployFiles.test.ts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { configSchema, loadConfig } from '../../src/config';
import { REFLEX_ATTRIBUTE_NAMES } from '../../src/workflows/visibility';

interface Service {
  image?: string;
  build?: unknown;
  command?: unknown;
  environment?: Record<string, string>;
  healthcheck?: { test?: unknown };
  deploy?: { replicas?: number };
  volumes?: string[];
  depends_on?: Record<string, unknown>;
  restart?: string;
  ports?: string[];
  profiles?: string[];
}

const file = path.resolve(__dirname, '../../docker-compose.yml');
const compose = parse(readFileSync(file, 'utf8'), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const services = Object.entries(compose.services);
const settings = new Set(Object.keys((configSchema as unknown as { _def: { schema: { shape: object } } })._def.schema.shape));

test('every REFLEX_* variable it sets exists in src/config.ts, and literal values validate', () => {
  const literal: Record<string, string> = {};
  for (const [name, service] of services) {
    for (const [key, value] of Object.entries(service.environment ?? {})) {
      if (!key.startsWith('REFLEX_')) continue;
      expect({ service: name, key, known: settings.has(key) }).toEqual({ service: name, key, known: true });
      if (!String(value).includes('${')) literal[key] = String(value);
    }
  }
  expect(Object.keys(literal).length).toBeGreaterThan(3);
  expect(() => loadConfig(literal)).not.toThrow();
});

test('every image is pinned to a version (no latest, no bare name)', () => {
  for (const [name, service] of services) {
    if (!service.image) continue;
    const pinned = /@sha256:[0-9a-f]{64}$/.test(service.image) || /:[^:/]+$/.test(service.image);
    expect({ service: name, image: service.image, pinned: pinned && !service.image.endsWith(':latest') }).toEqual({ service: name, image: service.image, pinned: true });
  }
});

test('every long-running service has a health check', () => {
  for (const [name, service] of services) {
    if (service.restart === 'no') continue; // one-shot setup jobs
    expect({ service: name, healthcheck: Boolean(service.healthcheck?.test) }).toEqual({ service: name, healthcheck: true });
  }
});

test('the production shape on many hosts: scaled API and workers on PostgreSQL with no shared volume, Temporal + PostgreSQL + UI, Milvus + etcd + MinIO', () => {
  const s = compose.services;
  expect(s.api?.deploy?.replicas).toBeGreaterThan(1);
  expect(s.api?.command).toEqual(['api']);
  expect(s.worker?.command).toEqual(['worker']);
  // Nothing on a volume: every process keeps its state in the gateway's own database, so it may run on any host.
  for (const svc of [s.api, s.worker]) {
    expect(svc?.volumes ?? []).toEqual([]);
    expect(svc?.environment?.REFLEX_STORAGE_PATH).toBeUndefined();
    expect(svc?.environment?.REFLEX_KEYS_PATH).toBeUndefined();
    expect(svc?.depends_on).toHaveProperty('reflex-db-setup');
  }
  expect(compose.volumes).not.toHaveProperty('entries');
  expect(compose.volumes).not.toHaveProperty('keys');
  const url = new URL(s.api!.environment!.REFLEX_DATABASE_URL!.replace(/\$\{[^}]*\}/g, 'secret'));
  expect([url.protocol, url.username, url.hostname, url.pathname]).toEqual(['postgres:', 'reflex', 'postgresql', '/reflex']);
  expect(s.worker?.environment?.REFLEX_DATABASE_URL).toEqual(s.api?.environment?.REFLEX_DATABASE_URL);
  // The gateway's role and database on the PostgreSQL Temporal uses, made by an idempotent one-shot job.
  const setup = compose.services['reflex-db-setup'];
  expect(setup?.restart).toBe('no');
  expect(setup?.depends_on).toHaveProperty('postgresql');
  const script = (compose as unknown as { configs: Record<string, { content: string }> }).configs['reflex-db-setup']!.content;
  expect(script).toContain("CREATE ROLE reflex LOGIN' WHERE NOT EXISTS");
  expect(script).toContain("CREATE DATABASE reflex OWNER reflex' WHERE NOT EXISTS");
  expect(script).toContain("ALTER ROLE reflex PASSWORD :'pw'"); // a psql variable: the password is quoted, never spliced into SQL
  expect(s.api?.environment?.REFLEX_TOKEN_KEY).toEqual(s.worker?.environment?.REFLEX_TOKEN_KEY);
  // Every replica files a caller under the same tenant, reads the same fills, seals the same tokens: required, never generated.
  for (const name of ['REFLEX_TENANT_SECRET', 'REFLEX_TOKEN_KEY', 'REFLEX_PAYLOAD_KEY']) {
    expect(s.api?.environment?.[name]).toMatch(new RegExp(`^\\$\\{${name}:\\?`));
    expect(s.api?.environment?.[name]).toEqual(s.worker?.environment?.[name]);
  }
  expect(s.temporal?.environment?.DB).toMatch(/^postgres/);
  expect(s.temporal?.depends_on).toHaveProperty('postgresql');
  expect(s['temporal-ui']?.image).toMatch(/^temporalio\/ui:/);
  expect(s.milvus?.environment).toMatchObject({ ETCD_ENDPOINTS: 'etcd:2379', MINIO_ADDRESS: 'minio:9000' });
  const attributes = JSON.stringify(s['temporal-setup']?.command);
  for (const name of REFLEX_ATTRIBUTE_NAMES) expect(attributes).toContain(name);
});

test('only the gateway is published by default; the Temporal UI is opt-in (profile) and loopback-only', () => {
  const published = services.filter(([, svc]) => (svc.ports ?? []).length > 0 && !svc.profiles?.length).map(([name]) => name);
  expect(published).toEqual(['gateway']);
  for (const name of ['temporal', 'milvus', 'etcd', 'minio', 'postgresql']) expect(compose.services[name]?.ports).toBeUndefined();
  const ui = compose.services['temporal-ui'];
  expect(ui?.profiles).toEqual(['temporal-ui']);
  for (const p of ui?.ports ?? []) expect(p).toMatch(/^127\.0\.0\.1:/);
  // The file tells an operator how to opt in.
  expect(readFileSync(file, 'utf8')).toContain('docker compose --profile temporal-ui up');
});
