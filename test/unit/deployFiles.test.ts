/**
 * The shipped deploy files, checked without Docker or a cluster:
 * docker-compose.yml against the Compose specification's JSON schema (the
 * copy the npm package dclint ships), the Kubernetes base (deploy/kubernetes,
 * a kustomize base of plain resources) rendered as kustomize does and every
 * object validated against the Kubernetes API's schema (kubernetes-models),
 * with the probes, resources, disruption budgets and selectors that make it a
 * deployment; and the env each gateway process gets, in both, is exactly
 * what src/config.ts reads — and loads into a many-hosts configuration.
 */
import Ajv from 'ajv';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { configSchema, loadConfig } from '../../src/config';

const ROOT = path.resolve(__dirname, '../..');
const K8S = path.join(ROOT, 'deploy/kubernetes');
const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });
const settings = new Set(Object.keys((configSchema as unknown as { _def: { schema: { shape: object } } })._def.schema.shape));
/** Variables a gateway process may get that are not settings of its own (read by Node itself). */
const NOT_SETTINGS = new Set(['NODE_OPTIONS']);
/** Settings that name a directory: on many hosts nothing may depend on one. */
const SHARED_PATHS = ['REFLEX_STORAGE_PATH', 'REFLEX_KEYS_PATH', 'REFLEX_EMBEDDINGS_PATH'];
const key32 = Buffer.alloc(32, 7).toString('base64');

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

/** `kustomize build` of a base that only lists resources (the test refuses any other field, so this stays true). */
function render(dir: string): K8sObject[] {
  const kustomization = parse(readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8'));
  expect(Object.keys(kustomization).sort()).toEqual(['apiVersion', 'kind', 'resources']);
  return (kustomization.resources as string[]).flatMap((file) =>
    parseAllDocuments(readFileSync(path.join(dir, file), 'utf8')).map((d) => d.toJS() as K8sObject).filter(Boolean),
  );
}

/** The kubernetes-models class of an object (its module path is group/version/Kind). */
function modelOf(o: K8sObject): new (data: unknown) => { validate(): void } {
  const mod = require(`kubernetes-models/${o.apiVersion}/${o.kind}`);
  return mod[o.kind];
}

const objects = render(K8S);
const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
const deployment = (component: string) => byKind('Deployment').find((d) => d.metadata.labels?.['app.kubernetes.io/component'] === component)!;
const container = (component: string) => deployment(component).spec.template.spec.containers[0];
const secretExample = parseAllDocuments(readFileSync(path.join(K8S, 'secret.example.yaml'), 'utf8'))[0]!.toJS() as K8sObject;

describe('docker-compose.yml', () => {
  test('is valid under the Compose specification (JSON schema)', () => {
    // A draft-07 schema; its $schema spells the meta-schema's address in a way Ajv does not know, and Ajv's default is draft-07.
    const { $schema: _draft07, ...schema } = JSON.parse(readFileSync(path.join(ROOT, 'node_modules/dclint/schemas/compose.schema.json'), 'utf8'));
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    expect(validate(compose) ? [] : validate.errors).toEqual([]);
    // The validator is live: a service with a misspelled key is refused.
    expect(validate({ services: { api: { imagee: 'x' } } })).toBe(false);
  });
});

describe('deploy/kubernetes', () => {
  test('renders to valid Kubernetes objects (the API schema of each kind)', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/reflex-config', 'Deployment/reflex-api', 'Deployment/reflex-worker',
      'PodDisruptionBudget/reflex-api', 'PodDisruptionBudget/reflex-worker', 'Service/reflex-api', 'Service/reflex-worker',
    ]);
    for (const o of [...objects, secretExample]) expect(() => new (modelOf(o))(o).validate()).not.toThrow();
    // The validator is live: a port that is not a number is refused.
    const broken = structuredClone(deployment('api'));
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    expect(() => new (modelOf(broken))(broken).validate()).toThrow(/containerPort/);
  });

  test('the API is probed on /healthz (alive) and /ready (in the Service), the worker on its metrics; both have resources', () => {
    const api = container('api');
    expect(api.args).toEqual(['api']);
    expect(api.livenessProbe.httpGet.path).toBe('/healthz');
    expect(api.startupProbe.httpGet.path).toBe('/healthz');
    expect(api.readinessProbe.httpGet.path).toBe('/ready');
    const worker = container('worker');
    expect(worker.args).toEqual(['worker']);
    expect(worker.readinessProbe.httpGet.path).toBe('/metrics');
    for (const c of [api, worker]) {
      expect(c.resources.requests).toEqual({ cpu: expect.any(String), memory: expect.stringMatching(/Mi$/) });
      expect(c.resources.limits.memory).toMatch(/Mi$/);
      expect(c.volumeMounts).toBeUndefined(); // stateless: nothing to mount, nothing shared
    }
    expect(deployment('api').spec.replicas).toBeGreaterThan(1);
    expect(deployment('worker').spec.replicas).toBeGreaterThan(1);
  });

  test('disruption budgets and Services select the pods their Deployments make', () => {
    for (const component of ['api', 'worker']) {
      const labels = deployment(component).spec.template.metadata.labels;
      expect(deployment(component).spec.selector.matchLabels).toEqual(labels);
      const pdb = byKind('PodDisruptionBudget').find((p) => p.metadata.name === `reflex-${component}`)!;
      expect(pdb.spec.selector.matchLabels).toEqual(labels);
      expect(pdb.spec.minAvailable).toBe(1);
      const service = byKind('Service').find((s) => s.metadata.name === `reflex-${component}`)!;
      expect(service.spec.selector).toEqual(labels);
    }
  });
});

/** The env of a compose service, interpolated as compose would with each required variable set. */
function composeEnv(service: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(compose.services[service].environment as Record<string, string>)) {
    env[name] = String(value).replace(/\$\{(\w+)(?::([?-])([^}]*))?\}/g, (_m, variable: string, op?: string, rest?: string) =>
      op === '-' ? (rest ?? '') : sampleFor(variable));
  }
  return env;
}

/** The env of a Deployment's container: its ConfigMap, its own values, and its Secret's keys. */
function k8sEnv(component: string): Record<string, string> {
  const c = container(component);
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) Object.assign(env, byKind('ConfigMap').find((m) => m.metadata.name === from.configMapRef.name)!.data);
  for (const e of c.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef;
    if (ref) {
      expect(secretExample.metadata.name).toBe(ref.name);
      expect(Object.keys(secretExample.stringData!)).toContain(ref.key);
    }
    env[e.name] = ref ? sampleFor(ref.key) : e.value;
  }
  return env;
}

/** What an operator would put there: valid keys, a database URL. */
function sampleFor(variable: string): string {
  if (variable === 'REFLEX_DATABASE_URL') return 'postgres://reflex:pw@postgres.example:5432/reflex';
  if (['REFLEX_TENANT_SECRET', 'REFLEX_TOKEN_KEY', 'REFLEX_PAYLOAD_KEY'].includes(variable)) return key32;
  return variable === 'REFLEX_UPSTREAM_API_KEY' ? 'sk-test' : 'sample';
}

describe.each([
  ['compose api', () => composeEnv('api'), 'api'],
  ['compose worker', () => composeEnv('worker'), 'worker'],
  ['kubernetes api', () => k8sEnv('api'), 'api'],
  ['kubernetes worker', () => k8sEnv('worker'), 'worker'],
])('the env of %s', (_name, envOf, role) => {
  test('is exactly what src/config.ts reads, and loads into a many-hosts configuration', () => {
    const env = envOf();
    expect(Object.keys(env).filter((name) => !settings.has(name) && !NOT_SETTINGS.has(name))).toEqual([]);
    expect(Object.keys(env).filter((name) => SHARED_PATHS.includes(name))).toEqual([]);
    const config = loadConfig({ ...env, REFLEX_HOME: '/var/lib/reflex' });
    expect(config.databaseUrl).toMatch(/^postgres:\/\/reflex:/);
    expect([config.auth.tenantSecret, config.tokenKey, config.payload.key]).toEqual([key32, key32, key32]);
    expect(config.bindAddr).toBe('0.0.0.0');
    expect(config.temporal.address).not.toMatch(/^127\./);
    expect(config.milvus.address).not.toMatch(/^127\./);
    if (role === 'api') expect(config.port).toBe(8080);
    else expect(config.workerMetricsPort).toBe(9464);
  });
});
