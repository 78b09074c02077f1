/**
 * No Docker engine runs here, so docker-compose.yml is checked statically:
 * it parses, every REFLEX_* it sets is a real setting (and its literal values
 * pass the schema), every image is pinned, every long-running service has a
 * health check, and the production shape is there (API replicas sharing the
 * entries volume with the workers, Temporal on PostgreSQL, Milvus with etcd
 * and MinIO, the search attributes registered), and nothing without
 * authentication is published on the host by default.
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

test('the production shape: scaled API on shared storage, workers, Temporal + PostgreSQL + UI, Milvus + etcd + MinIO', () => {
  const s = compose.services;
  expect(s.api?.deploy?.replicas).toBeGreaterThan(1);
  expect(s.api?.command).toEqual(['api']);
  expect(s.worker?.command).toEqual(['worker']);
  const entries = (svc?: Service) => svc?.volumes?.find((v) => v.endsWith(`:${svc.environment?.REFLEX_STORAGE_PATH}`));
  expect(entries(s.api)).toBeDefined();
  expect(entries(s.api)).toEqual(entries(s.worker));
  expect(s.api?.environment?.REFLEX_TOKEN_KEY).toEqual(s.worker?.environment?.REFLEX_TOKEN_KEY);
  // Every API replica files a caller under the same tenant and reads the same gateway keys.
  expect(s.api?.environment?.REFLEX_TENANT_SECRET).toMatch(/^\$\{REFLEX_TENANT_SECRET:\?/);
  const keys = s.api?.volumes?.find((v) => v.endsWith(`:${s.api?.environment?.REFLEX_KEYS_PATH}`));
  expect(keys).toMatch(/^[a-z-]+:/); // a named volume, shared by the replicas
  expect(compose).toHaveProperty(['volumes', keys!.split(':')[0]!]);
  expect(s.api?.environment?.REFLEX_PAYLOAD_KEY).toMatch(/REFLEX_PAYLOAD_KEY:\?/); // required, never a default key
  expect(s.api?.environment?.REFLEX_PAYLOAD_KEY).toEqual(s.worker?.environment?.REFLEX_PAYLOAD_KEY);
  expect(s.temporal?.environment?.DB).toMatch(/^postgres/);
  expect(s.temporal?.depends_on).toHaveProperty('postgresql');
  expect(s['temporal-ui']?.image).toMatch(/^temporalio\/ui:/);
  expect(s.milvus?.environment).toMatchObject({ ETCD_ENDPOINTS: 'etcd:2379', MINIO_ADDRESS: 'minio:9000' });
  const setup = JSON.stringify(s['temporal-setup']?.command);
  for (const name of REFLEX_ATTRIBUTE_NAMES) expect(setup).toContain(name);
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
