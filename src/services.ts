/**
 * The composition root: builds each pipeline stage once from the config.
 * Both roles share the core (storage, index, model, provider, Temporal);
 * only the API builds the hit path (L1, L2, the verifier) and the clients
 * that start workflows, so a worker-only process carries none of them.
 */
import { Client, Connection, ConnectionLike, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import pino, { Logger } from 'pino';
import type { WindowedEmbedder } from './cache/embedding/embedder';
import { ThreadedEmbedder } from './cache/embedding/threadedEmbedder';
import { RecentEmbeddings } from './cache/embedding/recentEmbeddings';
import { GroupedUpserts } from './cache/vectordb/groupedUpserts';
import { TextComparison } from './cache/l3/compare';
import { Authenticator } from './auth/authenticate';
import type { KeyStore } from './auth/keyStore';
import type { Database } from './postgres/database';
import { openStores, type Stores } from './stores';
import { LeasedCount } from './auth/leasedCount';
import { SHARED_WINDOW_MS, SharedAllowance } from './temporal/auditAllowance';
import { KeyRateLimiter } from './auth/rateLimit';
import { TenantHasher } from './cache/keys/tenant';
import { ExactCache } from './cache/l1/exactCache';
import { SemanticLookup } from './cache/l2/semanticLookup';
import { loadVerifier } from './cache/l3/select';
import type { Verifier } from './cache/l3/verifier';
import { CacheLookup } from './cache/lookup';
import { BlobStore } from './cache/storage/blobStore';
import { EmbeddingsCache } from './cache/vectors/embeddingsCache';
import { VectorStore } from './cache/vectors/vectorStore';
import type { AnswerBoard } from './activities/answerBoard';
import { EntryStore } from './cache/storage/entryStore';
import { Outbox } from './miss/outbox/outbox';
import { Expiry } from './cache/storage/expiry';
import type { Config } from './config';
import { Metrics } from './metrics';
import { Tracing, startTracing } from './tracing';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import { TokenSeal } from './provider/credentials';
import { MockProvider } from './provider/mock';
import { OpenAIProvider, Provider } from './provider/provider';
import { TemporalHealth } from './miss/health';
import { MissPath } from './miss/missPath';
import { Admission } from './miss/admission';
import { FillClient } from './miss/fillClient';
import { MaintenanceClient } from './temporal/maintenanceClient';
import { dataConverter, EncryptionCodec } from './temporal/payloadCodec';
import { VisibilitySupport } from './temporal/visibilitySupport';
import { MilvusIndex } from './cache/vectordb/milvus';
import type { VectorIndex } from './cache/vectordb/index';
import { UsageLedger } from './ops/dashboard/usage';
import { FleetCounts } from './ops/dashboard/fleet';
import { ErrorBudget } from './cache/l3/budget/errorBudget';
import { AuditClient } from './temporal/auditClient';

/** What both roles use. */
export interface Core {
  config: Config;
  log: Logger;
  embedder: WindowedEmbedder;
  store: EntryStore;
  /** REFLEX_DATABASE_URL: where replicas on any host share entries, blobs, the outbox, embeddings, keys and limits. */
  database?: Database;
  /** Every store, as openStores opened them (keys, a tenant purge, closing). */
  stores: Stores;
  /** The claim check's blobs (fill requests and answers) and the degraded mode's outbox, beside the entries. */
  blobs: BlobStore;
  outbox: Outbox;
  expiry: Expiry;
  index: VectorIndex;
  provider: Provider;
  seal: TokenSeal;
  /** Encrypts every payload this process writes to Temporal (clients and worker). */
  codec: EncryptionCodec;
  metrics: Metrics;
  /** Stored embedding vectors (the API serves them; a worker's tenant purge removes them). */
  vectors: VectorStore;
  /** Set when OTEL_* configure an exporter. */
  tracing?: Tracing;
  close(): Promise<void>;
}

/** What the API adds: the hit path, and the Temporal clients of the miss path and the admin API. */
export interface ApiServices extends Core {
  exact: ExactCache;
  lookup: CacheLookup;
  temporal: Connection;
  fill: FillClient;
  /** Whether this process can reach Temporal (degraded mode when not). */
  health: TemporalHealth;
  miss: MissPath;
  /** Backpressure: misses in flight and queued in this process (src/miss/admission.ts). */
  admission: Admission;
  maintenance: MaintenanceClient;
  embeddings: EmbeddingsCache;
  keys: KeyStore;
  tenants: TenantHasher;
  auth: Authenticator;
  limiter: KeyRateLimiter;
  verifier: Verifier;
  /** The admin dashboard's counts of this process (requests over time, per key, per model). */
  usage: UsageLedger;
  /** Replica-wide request numbers, with PostgreSQL. */
  fleet?: FleetCounts;
  /** The wrong-hit estimate per tenant, and the floors the error budget raised (issue 28). */
  budget: ErrorBudget;
  /** Starts audits of semantic hits; absent while REFLEX_AUDIT_RATE is 0. */
  audits?: AuditClient;
}

export function createLogger(config: Config): Logger {
  return pino({ level: config.logLevel, base: { service: 'reflex' } });
}

/**
 * `loadModel`: load the embedding model now (the API role: its lookups embed
 * from the first request on). Otherwise (a worker alone) it loads with the
 * first embedding, if any comes: fills the API started arrive with their vector.
 */
export async function createCore(config: Config, log: Logger = createLogger(config), { loadModel = true } = {}): Promise<Core> {
  const tracing = startTracing(config.tracing);
  const embedder = await ThreadedEmbedder.open(config.model.path, config.model.name, { threads: config.model.threads, load: loadModel });
  // Fills that finish together index in one Milvus call (group commit).
  const index = new GroupedUpserts(new MilvusIndex({ ...config.milvus, dim: embedder.dim }));
  const stores = await openStores(config, log);
  const expiry = Expiry.fromSeconds(config.retention.ttlSeconds);
  return {
    config,
    log,
    embedder,
    stores,
    database: stores.database,
    store: stores.entries,
    blobs: stores.blobs,
    outbox: stores.outbox,
    expiry,
    index,
    provider: config.upstream.mock ? new MockProvider() : new OpenAIProvider({ baseURL: config.upstream.url, timeoutMs: config.upstream.timeoutMs }),
    seal: TokenSeal.fromConfig(config.tokenKey, config.home),
    codec: EncryptionCodec.fromConfig(config),
    metrics: new Metrics(),
    vectors: new VectorStore(stores.vectors, config.l1Capacity, expiry),
    tracing,
    close: async () => {
      await Promise.allSettled([index.close(), tracing?.shutdown(), embedder.close()]);
      await stores.close();
    },
  };
}

/** The verifier settings the config selects (shared with `reflex eval`'s report). */
export function verifierSettings(config: Config) {
  const { verifier } = config;
  return { ...verifier, model: { ...verifier.model, threads: config.model.threads }, similarityThreshold: config.similarityThreshold, guards: config.verifierGuards };
}

/**
 * `answers`: only when this process also runs the worker (`reflex start`,
 * `reflex serve`), the board that worker's activities post to; an API-only
 * process has nobody posting and must wait for the update.
 */
export async function createApiServices(core: Core, answers?: AnswerBoard): Promise<ApiServices> {
  const { config, log, store, expiry, index, embedder, metrics } = core;
  const { retention } = config;
  const exact = new ExactCache(store, config.l1Capacity, { expiry, revalidateMs: retention.l1RevalidateMs, trackRecency: retention.maxEntries > 0 });
  // Loaded once here (API role only); the embedder finished loading in createCore, so they never load at once.
  const verifier = await loadVerifier(verifierSettings(config));
  log.info({ verifier: verifier.kind }, 'L3 verifier loaded');
  // Lookups reuse the embeddings of recent texts (query spans included); /ready probes the model itself (core.embedder).
  const recent = new RecentEmbeddings(embedder);
  const semantic = new SemanticLookup(index, exact, verifier, new TextComparison(recent, verifier.kind === 'model'), { ...config.l2, expiry, embedder: embedder.id });
  // Lazy: the API starts (and serves hits) even while Temporal is down. A short
  // gRPC retry budget lets a miss fail fast with 503 instead of hanging ~20 s.
  const temporal = Connection.lazy({
    address: config.temporal.address,
    connectTimeout: '3s',
    interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 3 }))],
  });
  const client = workflowClient(core, temporal);
  const visibility = new VisibilitySupport(temporal, config.temporal.namespace, log);
  const fill = createFillClient(core, client, visibility, answers);
  const health = new TemporalHealth((down) => metrics.degraded.set({ dependency: 'temporal' }, down ? 1 : 0));
  metrics.degraded.set({ dependency: 'temporal' }, 0);
  const admission = Admission.of(config.admission, metrics);
  const miss = new MissPath({ fill, provider: core.provider, outbox: core.outbox, exact, health, metrics, log, maxAttempts: config.upstream.maxAttempts });
  const keys = await core.stores.keys();
  const fleet = core.database ? new FleetCounts(core.database, log) : undefined;
  if (fleet) {
    fleet.start();
    metrics.fleetFrom(() => fleet.window());
  }
  const tenants = TenantHasher.fromConfig(config.auth.tenantSecret, config.home);
  const budget = new ErrorBudget(core.stores.verdicts, { delta: config.audit.maxWrongHits, base: baseFloor(config), start: config.audit.budgetStart, refreshMs: BUDGET_REFRESH_MS }, log);
  budget.start();
  metrics.wrongHitsFrom(async () => (await budget.refresh(), budget.estimates()));
  const audits = config.audit.rate > 0 ? createAuditClient(core, client, visibility) : undefined;
  return {
    ...core,
    exact,
    lookup: new CacheLookup(exact, semantic, recent, log, budget),
    temporal,
    fill,
    health,
    miss,
    admission,
    maintenance: new MaintenanceClient(client, config.temporal.taskQueue, visibility),
    embeddings: new EmbeddingsCache(core.vectors, log),
    keys,
    tenants,
    auth: new Authenticator(config.auth.mode, keys, tenants, config.upstream.apiKey),
    limiter: new KeyRateLimiter(core.database && new LeasedCount(core.database.pool), log),
    verifier,
    usage: new UsageLedger(fleet),
    fleet,
    budget,
    audits,
    async close() {
      budget.stop();
      await fleet?.stop();
      await keys.close?.();
      await Promise.allSettled([temporal.close(), core.close()]);
    },
  };
}

/** How often the API reads on in the verdict store (new audits' verdicts move the estimate and the floors). */
const BUDGET_REFRESH_MS = 2_000;

/** The cosine floor L3 starts from, which the error budget raises: the configured verifier's. */
export const baseFloor = (config: Config) => (config.verifier.kind === 'model' ? config.verifier.model.floor : config.similarityThreshold);

function createAuditClient(core: Core, client: Client, visibility: VisibilitySupport): AuditClient {
  const { config, log, metrics } = core;
  const settings = { taskQueue: config.temporal.taskQueue, ...config.audit, policy: { providerMaxAttempts: config.upstream.maxAttempts, providerTimeoutMs: config.upstream.timeoutMs } };
  // With PostgreSQL the replicas share each tenant's daily cap; alone, each counts its own.
  const allowance = core.database ? new SharedAllowance(new LeasedCount(core.database.pool, SHARED_WINDOW_MS), config.audit.dailyCap, log) : undefined;
  return new AuditClient(client, core.blobs, settings, { log, count: (event) => metrics.auditStarts.inc({ event }), visibility, allowance });
}

/** A Temporal client as the API uses it, on either connection (the API's own, or a co-located worker's; see FillClient.startEagerlyOn). */
export function workflowClient(core: Core, connection: ConnectionLike): Client {
  // With tracing on, each start/update carries the request's span context into the workflow's headers.
  const interceptors = core.tracing ? { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer: core.tracing.tracer })] } : undefined;
  return new Client({ connection, namespace: core.config.temporal.namespace, dataConverter: dataConverter(core.codec), interceptors });
}

/** The fill client of the API (with the board when co-located), and of the outbox drainer in workers. */
export function createFillClient(core: Core, client: Client, visibility?: VisibilitySupport, answers?: AnswerBoard): FillClient {
  const { config } = core;
  const policy = { providerMaxAttempts: config.upstream.maxAttempts, providerTimeoutMs: config.upstream.timeoutMs, indexMaxAttempts: config.indexMaxAttempts };
  return new FillClient(client, core.blobs, core.store, { taskQueue: config.temporal.taskQueue, deadlineMs: config.clientDeadlineMs, policy }, visibility, answers);
}
