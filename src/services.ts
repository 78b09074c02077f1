/**
 * The composition root: builds each pipeline stage once from the config.
 * Both roles share the core (storage, index, model, provider, Temporal);
 * only the API builds the hit path (L1, L2, the verifier) and the clients
 * that start workflows, so a worker-only process carries none of them.
 */
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import pino, { Logger } from 'pino';
import { Embedder, TransformersEmbedder } from './cache/embedding/embedder';
import { RecentEmbeddings } from './cache/embedding/recentEmbeddings';
import { Authenticator } from './auth/authenticate';
import { KeyStore } from './auth/keyStore';
import { KeyRateLimiter } from './auth/rateLimit';
import { TenantHasher } from './cache/keys/tenant';
import { ExactCache } from './cache/l1/exactCache';
import { SemanticLookup } from './cache/l2/semanticLookup';
import { createVerifier } from './cache/l3/guardedVerifier';
import { CacheLookup } from './cache/lookup';
import { EntryStore } from './cache/storage/entryStore';
import { Expiry } from './cache/storage/expiry';
import type { Config } from './config';
import { Metrics } from './metrics';
import { TokenSeal } from './provider/credentials';
import { MockProvider } from './provider/mock';
import { OpenAIProvider, Provider } from './provider/provider';
import { FillClient } from './temporal/fillClient';
import { MaintenanceClient } from './temporal/maintenanceClient';
import { dataConverter, EncryptionCodec } from './temporal/payloadCodec';
import { VisibilitySupport } from './temporal/visibilitySupport';
import { MilvusIndex } from './vectordb/milvus';

/** What both roles use. */
export interface Core {
  config: Config;
  log: Logger;
  embedder: Embedder;
  store: EntryStore;
  expiry: Expiry;
  index: MilvusIndex;
  provider: Provider;
  seal: TokenSeal;
  /** Encrypts every payload this process writes to Temporal (clients and worker). */
  codec: EncryptionCodec;
  metrics: Metrics;
  close(): Promise<void>;
}

/** What the API adds: the hit path, and the Temporal clients of the miss path and the admin API. */
export interface ApiServices extends Core {
  exact: ExactCache;
  lookup: CacheLookup;
  temporal: Connection;
  fill: FillClient;
  maintenance: MaintenanceClient;
  keys: KeyStore;
  tenants: TenantHasher;
  auth: Authenticator;
  limiter: KeyRateLimiter;
}

export function createLogger(config: Config): Logger {
  return pino({ level: config.logLevel, base: { service: 'reflex' } });
}

export async function createCore(config: Config, log: Logger = createLogger(config)): Promise<Core> {
  const embedder = await TransformersEmbedder.load(config.model.path, config.model.name, { threads: config.model.threads });
  const index = new MilvusIndex({ ...config.milvus, dim: embedder.dim });
  return {
    config,
    log,
    embedder,
    store: new EntryStore(config.storagePath),
    expiry: Expiry.fromSeconds(config.retention.ttlSeconds),
    index,
    provider: config.upstream.mock ? new MockProvider() : new OpenAIProvider({ baseURL: config.upstream.url, timeoutMs: config.upstream.timeoutMs }),
    seal: TokenSeal.fromConfig(config.tokenKey, config.home),
    codec: EncryptionCodec.fromConfig(config),
    metrics: new Metrics(),
    close: () => index.close(),
  };
}

export function createApiServices(core: Core): ApiServices {
  const { config, log, store, expiry, index, embedder, metrics } = core;
  const { retention } = config;
  const exact = new ExactCache(store, config.l1Capacity, { expiry, revalidateMs: retention.l1RevalidateMs, trackRecency: retention.maxEntries > 0 });
  const verifier = createVerifier({ threshold: config.similarityThreshold, guards: config.verifierGuards });
  const semantic = new SemanticLookup(index, exact, verifier, { ...config.l2, expiry });
  // Lazy: the API starts (and serves hits) even while Temporal is down. A short
  // gRPC retry budget lets a miss fail fast with 503 instead of hanging ~20 s.
  const temporal = Connection.lazy({
    address: config.temporal.address,
    connectTimeout: '3s',
    interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 3 }))],
  });
  const client = new Client({ connection: temporal, namespace: config.temporal.namespace, dataConverter: dataConverter(core.codec) });
  const visibility = new VisibilitySupport(temporal, config.temporal.namespace, log);
  const keys = new KeyStore(config.auth.keysPath);
  const tenants = TenantHasher.fromConfig(config.auth.tenantSecret, config.home);
  return {
    ...core,
    exact,
    // /ready keeps probing the model itself (core.embedder); only lookups reuse recent vectors.
    lookup: new CacheLookup(exact, semantic, new RecentEmbeddings(embedder), log),
    temporal,
    fill: new FillClient(client, config.temporal.taskQueue, config.clientDeadlineMs, visibility, () => metrics.coalesced.inc()),
    maintenance: new MaintenanceClient(client, config.temporal.taskQueue, visibility),
    keys,
    tenants,
    auth: new Authenticator(config.auth.mode, keys, tenants, config.upstream.apiKey),
    limiter: new KeyRateLimiter(),
    async close() {
      await Promise.allSettled([temporal.close(), core.close()]);
    },
  };
}
