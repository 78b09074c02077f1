/**
 * The composition root: builds each pipeline stage once from the config and
 * hands the same instances to the API and the worker.
 */
import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import pino, { Logger } from 'pino';
import type { Config } from './config';
import { Embedder, TransformersEmbedder } from './cache/embedding/embedder';
import { FillClient } from './temporal/fillClient';
import { VisibilitySupport } from './temporal/visibilitySupport';
import { ExactCache } from './cache/l1/exactCache';
import { SemanticLookup } from './cache/l2/semanticLookup';
import { CacheLookup } from './cache/lookup';
import { Metrics } from './metrics';
import { MaintenanceClient } from './temporal/maintenanceClient';
import { MockProvider } from './provider/mock';
import { OpenAIProvider, Provider } from './provider/provider';
import { TokenSeal } from './provider/credentials';
import { EntryStore } from './cache/storage/entryStore';
import { Expiry } from './cache/storage/expiry';
import { MilvusIndex } from './vectordb/milvus';
import { createVerifier } from './cache/l3/guardedVerifier';

export interface Services {
  config: Config;
  log: Logger;
  embedder: Embedder;
  store: EntryStore;
  exact: ExactCache;
  index: MilvusIndex;
  lookup: CacheLookup;
  provider: Provider;
  seal: TokenSeal;
  temporal: Connection;
  fill: FillClient;
  client: Client;
  metrics: Metrics;
  expiry: Expiry;
  visibility: VisibilitySupport;
  maintenance: MaintenanceClient;
  close(): Promise<void>;
}

export function createLogger(config: Config): Logger {
  return pino({ level: config.logLevel, base: { service: 'reflex' } });
}

export async function createServices(config: Config, log: Logger = createLogger(config)): Promise<Services> {
  const embedder = await TransformersEmbedder.load(config.model.path, config.model.name);
  const store = new EntryStore(config.storagePath);
  const { retention } = config;
  const expiry = Expiry.fromSeconds(retention.ttlSeconds);
  const exact = new ExactCache(store, config.l1Capacity, { expiry, revalidateMs: retention.l1RevalidateMs, trackRecency: retention.maxEntries > 0 });
  const index = new MilvusIndex({ ...config.milvus, dim: embedder.dim });
  const verifier = createVerifier({ threshold: config.similarityThreshold, guards: config.verifierGuards });
  const semantic = new SemanticLookup(index, exact, verifier, { ...config.l2, expiry });
  // Lazy: the API starts (and serves hits) even while Temporal is down. A short
  // gRPC retry budget lets a miss fail fast with 503 instead of hanging ~20 s.
  const temporal = Connection.lazy({
    address: config.temporal.address,
    connectTimeout: '3s',
    interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 3 }))],
  });
  const client = new Client({ connection: temporal, namespace: config.temporal.namespace });
  const visibility = new VisibilitySupport(temporal, config.temporal.namespace, log);
  const metrics = new Metrics();
  return {
    config,
    log,
    embedder,
    store,
    exact,
    index,
    lookup: new CacheLookup(exact, semantic, embedder, log),
    provider: config.upstream.mock ? new MockProvider() : new OpenAIProvider({ baseURL: config.upstream.url, timeoutMs: config.upstream.timeoutMs }),
    seal: TokenSeal.fromConfig(config.tokenKey, config.home),
    temporal,
    fill: new FillClient(client, config.temporal.taskQueue, config.clientDeadlineMs, visibility, () => metrics.coalesced.inc()),
    client,
    metrics,
    expiry,
    visibility,
    maintenance: new MaintenanceClient(client, config.temporal.taskQueue, visibility),
    async close() {
      await Promise.allSettled([temporal.close(), index.close()]);
    },
  };
}
