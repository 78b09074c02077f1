/**
 * The real Koa app (createApp) over small in-memory fakes of the stages it
 * calls, served on a loopback port: for HTTP behaviour that needs neither
 * Temporal, Milvus nor the model (error shapes, controls, headers, metrics,
 * admin). The fakes record what the routes asked of them.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createApp } from '../../src/api/app';
import { forwardAuth } from '../support/auth';
import type { CacheLookup, LookupResult } from '../../src/cache/lookup';
import type { EntryStore } from '../../src/cache/storage/entryStore';
import { UsageLedger } from '../../src/ops/dashboard/usage';
import { apiServices, fake } from '../support/fake';
import type { Entry } from '../../src/cache/storage/entry';
import { loadConfig } from '../../src/config';
import { Metrics } from '../../src/metrics';
import { TokenSeal } from '../../src/provider/credentials';
import type { ChatCompletion } from '../../src/wire/chat';
import type { FillAnswer, FillClient } from '../../src/miss/fillClient';
import type { MissSpec } from '../../src/miss/missSpec';
import type { ExactCache } from '../../src/cache/l1/exactCache';
import { FileOutbox } from '../../src/miss/outbox/fileOutbox';
import { TemporalHealth } from '../../src/miss/health';
import { MissPath } from '../../src/miss/missPath';
import { Admission } from '../../src/miss/admission';
import type { Provider } from '../../src/provider/provider';
import type { MaintenanceClient } from '../../src/temporal/maintenanceClient';
import type { AuditClient } from '../../src/temporal/auditClient';

export const completion = (content: string, usage = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 }): ChatCompletion => ({
  id: `chatcmpl-${content.length}`,
  object: 'chat.completion',
  created: 1,
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  usage,
});

export const entryOf = (content: string, ageMs = 0): Entry => ({
  version: 1, tenant: 'a'.repeat(16), key: 'b'.repeat(64), context: 'c', model: 'm',
  createdAt: Date.now() - ageMs, semanticText: 'q', embedding: [1, 0], response: completion(content),
});

export interface Fakes {
  adminToken?: string;
  /** Extra REFLEX_* settings. */
  env?: Record<string, string>;
  lookup?: () => Promise<LookupResult>;
  fill?: (input: MissSpec) => Promise<FillAnswer>;
  deleteEntry?: MaintenanceClient['deleteEntry'];
  purgeTenant?: MaintenanceClient['purgeTenant'];
  /** What a sampled semantic hit's audit start does (none: audits off, as by default). */
  afterHit?: AuditClient['afterHit'];
}

export interface FakeApp {
  url: string;
  metrics: Metrics;
  /** Inputs the chat route handed to the fill client, in order. */
  fills: MissSpec[];
  lookups: number;
  /** Workflow ids a refresh waited on. */
  settled: string[];
  post(body: unknown, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

export async function startFakeApp(fakes: Fakes = {}): Promise<FakeApp> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'reflex-api-'));
  const config = loadConfig({ REFLEX_HOME: home, ...(fakes.adminToken ? { REFLEX_ADMIN_TOKEN: fakes.adminToken } : {}), ...fakes.env });
  const metrics = new Metrics();
  const state = { fills: [] as MissSpec[], lookups: 0, settled: [] as string[] };
  const fill = fake<FillClient>({
    fill: async (input) => {
      state.fills.push(input);
      return fakes.fill ? fakes.fill(input) : { response: completion('fresh'), workflowId: `fill-${input.tenant}-${input.key}`, timing: {} };
    },
    settled: async (id) => {
      state.settled.push(id);
      return true;
    },
  }, 'fill');
  const exact = fake<ExactCache>({ forget: () => undefined, provisional: () => undefined, getNow: () => undefined }, 'exact');
  const health = new TemporalHealth();
  const log = pino({ level: 'silent' });
  const services = apiServices({
    config,
    log,
    metrics,
    seal: new TokenSeal(randomBytes(32)),
    ...forwardAuth(),
    lookup: fake<CacheLookup>({
      lookup: async () => {
        state.lookups++;
        return fakes.lookup ? fakes.lookup() : { status: 'MISS' };
      },
    }, 'lookup'),
    exact,
    fill,
    health,
    usage: new UsageLedger(),
    admission: Admission.of(config.admission, metrics),
    miss: new MissPath({ fill, provider: fake<Provider>({}, 'provider'), outbox: new FileOutbox(home), exact, health, metrics, log, maxAttempts: 1 }),
    maintenance: fake<MaintenanceClient>({
      deleteEntry: fakes.deleteEntry ?? (async () => ({ removed: 1 })),
      purgeTenant: fakes.purgeTenant ?? (async () => ({ removed: 2 })),
    }, 'maintenance'),
    store: fake<EntryStore>({ list: async function* () {}, checkWritable: async () => undefined }, 'store'),
    ...(fakes.afterHit ? { audits: fake<AuditClient>({ afterHit: fakes.afterHit }, 'audits') } : {}),
  });
  const app = createApp(services);
  const server: Server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    metrics,
    get fills() {
      return state.fills;
    },
    get lookups() {
      return state.lookups;
    },
    get settled() {
      return state.settled;
    },
    post: (body, headers = {}) =>
      fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

export const chat = (content = 'How do I reset my router?') => ({ model: 'm', messages: [{ role: 'user', content }] });

/** The value of one sample of a counter in this process's registry. */
export async function counterValue(metrics: Metrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  const values = (await metric!.get()).values;
  const match = values.find((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want));
  return match?.value ?? 0;
}

/** A response's JSON, loosely typed for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const json = async (res: Response): Promise<any> => res.json();
