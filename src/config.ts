/**
 * Every setting is a REFLEX_* environment variable, validated once by one zod
 * schema. Defaults make `npm start` work on a fresh clone; bad values stop the
 * process at start with a message naming the variable.
 */
import path from 'node:path';
import { z } from 'zod';
import { isKey } from './secretKey';

/*
 * The defaults the configuration owns: the modules that apply them read them
 * from here, so reading the configuration loads none of those modules (and
 * with them no model runtime). How each was chosen is in BENCHMARKS.md.
 */

/** REFLEX_SIMILARITY_THRESHOLD: the guards verifier's cosine floor, chosen on the QQP tune slice for the int8 embedding model. */
export const DEFAULT_SIMILARITY_THRESHOLD = 0.964;
/** REFLEX_VERIFIER_FLOOR: the model verifier's cosine shortlist floor, chosen on the tune slice. */
export const DEFAULT_MODEL_FLOOR = 0.84;
/** REFLEX_VERIFIER_THRESHOLD: p(duplicate) the model verifier needs to serve, chosen on the tune slice. */
export const DEFAULT_MODEL_THRESHOLD = 0.9;
/** Where the shipped verifier model lives: <package root>/models/verifier (the same from src/ and dist/). */
export const DEFAULT_VERIFIER_MODELS_DIR = path.resolve(__dirname, '../models');
export const VERIFIER_MODEL_NAME = 'verifier';
/** REFLEX_VERIFIER_GUARDS' vocabulary: the L3 guards by name (cache/l3/guards implements each). */
export const GUARD_NAMES = ['language_mismatch', 'unread_language', 'number_mismatch', 'unit_mismatch', 'negation_mismatch', 'antonym_mismatch', 'sibling_mismatch', 'quantifier_mismatch', 'direction_swap', 'order_swap', 'question_mismatch', 'entity_mismatch', 'added_detail'] as const;
/**
 * On by default: all but added_detail, which on QQP vetoed more true
 * duplicates than false ones (BENCHMARKS.md), because people often add a
 * word ("quickly", "exactly") without changing what they ask.
 */
export const DEFAULT_GUARDS: readonly string[] = GUARD_NAMES.filter((n) => n !== 'added_detail');

/**
 * Audits (issue 28): REFLEX_AUDIT_JUDGE's default and each cheap judge's
 * threshold, chosen on test/data/answer-pairs.jsonl (BENCHMARKS.md, "Judges").
 */
export const AUDIT_JUDGES = ['embedding', 'model', 'llm'] as const;
export const DEFAULT_AUDIT_JUDGE = 'embedding';
/** How a tenant starts under an error budget (cache/l3/budget/errorBudget.ts). */
export const BUDGET_STARTS = ['strict', 'open'] as const;
export const EMBEDDING_JUDGE_THRESHOLD = 0.687;
export const MODEL_JUDGE_THRESHOLD = 0.423;

/** USD per 1M tokens (prompt, completion): the dashboard's cost estimate, list prices at the time of writing; REFLEX_PRICES adds to them. */
export const DEFAULT_PRICES: Record<string, { prompt: number; completion: number }> = {
  'gpt-4o': { prompt: 2.5, completion: 10 },
  'gpt-4o-mini': { prompt: 0.15, completion: 0.6 },
  'gpt-4.1': { prompt: 2, completion: 8 },
  'gpt-4.1-mini': { prompt: 0.4, completion: 1.6 },
  'gpt-4.1-nano': { prompt: 0.1, completion: 0.4 },
  'o3-mini': { prompt: 1.1, completion: 4.4 },
  'o1': { prompt: 15, completion: 60 },
  'gpt-4-turbo': { prompt: 10, completion: 30 },
  'gpt-3.5-turbo': { prompt: 0.5, completion: 1.5 },
};

/** A comma list, blanks dropped. */
const list = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);

const bool = z
  .enum(['0', '1', 'true', 'false', 'yes', 'no', ''])
  .transform((v) => v === '1' || v === 'true' || v === 'yes');
const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const unit = z.coerce.number().min(-1).max(1);
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v === '' ? undefined : v));
const key32 = optionalString.refine((v) => v === undefined || isKey(v), { message: 'expected 32 random bytes, base64 (openssl rand -base64 32)' });
const keyId = /^[A-Za-z0-9._-]{1,64}$/;
/** "id:base64,id:base64" — retired payload keys, kept so older histories still decode. */
const oldKeys = optionalString
  .refine((v) => list(v).every((pair) => keyId.test(pair.split(':')[0] ?? '') && isKey(pair.slice(pair.indexOf(':') + 1))), {
    message: 'expected a comma list of id:base64-key pairs (each key 32 bytes)',
  })
  .transform((v) => list(v).map((pair) => ({ id: pair.slice(0, pair.indexOf(':')), key: Buffer.from(pair.slice(pair.indexOf(':') + 1), 'base64') })));

const usdPerMillion = z.number().min(0).max(100_000);
/** REFLEX_PRICES: a JSON object of model → { prompt, completion } (USD per 1M tokens). */
const prices = optionalString.transform((v, ctx) => {
  if (v === undefined) return {};
  try {
    const parsed = z.record(z.object({ prompt: usdPerMillion, completion: usdPerMillion }).strict()).safeParse(JSON.parse(v));
    if (parsed.success) return parsed.data;
  } catch {
    // reported below
  }
  ctx.addIssue({ code: 'custom', message: 'expected JSON such as {"gpt-4o-mini": {"prompt": 0.15, "completion": 0.6}} (USD per 1M tokens)' });
  return z.NEVER;
});

export const configSchema = z
  .object({
    REFLEX_HOME: z.string().default('.reflex'),
    REFLEX_PORT: port.default(8080),
    REFLEX_BIND_ADDR: z.string().min(1).default('127.0.0.1'),
    REFLEX_STORAGE_PATH: optionalString,
    REFLEX_EMBEDDINGS_PATH: optionalString,
    REFLEX_VENV: optionalString,
    REFLEX_MAX_BODY_BYTES: positiveInt.default(4 * 1024 * 1024),
    REFLEX_TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
    REFLEX_TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    REFLEX_TEMPORAL_TASK_QUEUE: z.string().min(1).default('reflex-fill'),
    REFLEX_TEMPORAL_UI_PORT: port.default(8233),
    // 0 = off; see src/temporal/worker.ts for why that is the default.
    REFLEX_WORKFLOW_WATCHDOG_MS: z.coerce.number().int().min(0).max(4_294_967_295).default(0),
    // Fills one worker runs at once. Each holds a workflow-task slot and a local-activity slot while its
    // provider call is out, so the SDK's defaults (40 and 100) would cap provider calls in flight.
    REFLEX_WORKER_FILLS: positiveInt.max(100_000).default(1000),
    // The Temporal UI's stack-trace query for running workflows; see src/temporal/worker.ts for its cost.
    REFLEX_WORKFLOW_STACK_TRACES: bool.default('0'),
    REFLEX_MILVUS_ADDRESS: z.string().min(1).default('127.0.0.1:19530'),
    REFLEX_MILVUS_COLLECTION: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('reflex_entries'),
    REFLEX_MILVUS_TIMEOUT_MS: positiveInt.default(2000),
    // BIN_FLAT works everywhere (Milvus Lite builds nothing else); BIN_IVF_FLAT needs a Milvus server (BENCHMARKS.md, scale).
    REFLEX_MILVUS_INDEX: z.enum(['BIN_FLAT', 'BIN_IVF_FLAT']).default('BIN_FLAT'),
    REFLEX_MILVUS_NLIST: positiveInt.max(65536).default(1024),
    REFLEX_MILVUS_NPROBE: positiveInt.max(65536).default(16),
    REFLEX_MODEL_PATH: optionalString,
    REFLEX_MODEL_NAME: z.string().min(1).default('all-MiniLM-L6-v2'),
    // ONNX Runtime threads per embedding (the model's one thread holds one session): one costs the
    // least CPU per embedding, and two took little off an idle lookup (BENCHMARKS.md, cost per request).
    REFLEX_EMBED_THREADS: positiveInt.max(64).default(1),
    REFLEX_L1_CAPACITY: positiveInt.default(10_000),
    // The exact-hit lane in front of Koa (src/api/exactLane.ts); 0 sends every request through Koa.
    REFLEX_EXACT_LANE: bool.default('1'),
    REFLEX_L2_CANDIDATES: positiveInt.max(1024).default(16),
    REFLEX_L2_TOP_K: positiveInt.max(64).default(4),
    // Chosen on labelled QQP pairs for precision first; see BENCHMARKS.md.
    REFLEX_SIMILARITY_THRESHOLD: unit.default(DEFAULT_SIMILARITY_THRESHOLD),
    REFLEX_VERIFIER_GUARDS: optionalString.refine(
      (v) => v === undefined || v === 'none' || list(v).every((g) => (GUARD_NAMES as readonly string[]).includes(g)),
      { message: `expected "none" or a comma list of: ${GUARD_NAMES.join(', ')}` },
    ),
    // L3: the cosine floor + guards alone ("guards") or with the trained cross-encoder ("model").
    // guards stays the default: the shipped model does not beat it on held-out QQP precision (BENCHMARKS.md).
    REFLEX_VERIFIER: z.enum(['model', 'guards']).default('guards'),
    REFLEX_VERIFIER_MODEL_PATH: optionalString,
    REFLEX_VERIFIER_THRESHOLD: z.coerce.number().min(0).max(1).default(DEFAULT_MODEL_THRESHOLD),
    REFLEX_VERIFIER_FLOOR: unit.default(DEFAULT_MODEL_FLOOR),
    REFLEX_KEY_SAMPLING: z.enum(['ignore', 'include']).default('ignore'),
    // Bounds for the per-request X-Reflex-Threshold override (outside them: 400).
    REFLEX_THRESHOLD_MIN: unit.default(0.8),
    REFLEX_THRESHOLD_MAX: unit.default(1),
    // Response body encoding when the request has no X-Reflex-Format header.
    REFLEX_RESPONSE_FORMAT: z.enum(['openai', 'tauq']).default('openai'),
    REFLEX_UPSTREAM_URL: z.string().url().default('https://api.openai.com/v1'),
    REFLEX_UPSTREAM_API_KEY: optionalString,
    REFLEX_UPSTREAM_TIMEOUT_MS: positiveInt.default(60_000),
    REFLEX_CLIENT_DEADLINE_MS: positiveInt.default(120_000),
    // Backpressure (src/miss/admission.ts): misses in flight per API process, then a bounded, timed queue, then 503.
    REFLEX_MAX_MISSES: positiveInt.default(1000),
    REFLEX_MISS_QUEUE: z.coerce.number().int().min(0).default(1000),
    REFLEX_MISS_QUEUE_MS: z.coerce.number().int().min(0).default(5000),
    REFLEX_PROVIDER_MAX_ATTEMPTS: positiveInt.max(20).default(4),
    REFLEX_MOCK_PROVIDER: bool.default('0'),
    REFLEX_INDEX_MAX_ATTEMPTS: z.coerce.number().int().min(0).default(0),
    // Expiry, invalidation and the storage bound (see docs/operations.md).
    REFLEX_TTL: z.coerce.number().int().min(0).default(0),
    REFLEX_MAX_ENTRIES: z.coerce.number().int().min(0).default(0),
    // The /v1/embeddings store's own bound (items); unset = REFLEX_MAX_ENTRIES.
    REFLEX_MAX_EMBEDDINGS: z.coerce.number().int().min(0).optional(),
    REFLEX_SWEEP_INTERVAL: positiveInt.default(60),
    // The index repair (src/ops/indexRepair.ts): seconds between passes, and how far back each looks.
    REFLEX_REPAIR_INTERVAL: positiveInt.default(300),
    REFLEX_REPAIR_WINDOW: positiveInt.default(3600),
    REFLEX_L1_REVALIDATE_MS: z.coerce.number().int().min(0).default(5_000),
    REFLEX_ADMIN_TOKEN: optionalString,
    // Audits of semantic hits (docs/operations.md, "Wrong hits"): the share of hits audited (0: none, the
    // default, because each audit is a provider call paid with the caller's budget), a per-tenant daily cap
    // on those calls, the judge, whether a wrong hit's question gets the fresh answer as its own entry.
    REFLEX_AUDIT_RATE: z.coerce.number().min(0).max(1).default(0),
    REFLEX_AUDIT_DAILY_CAP: z.coerce.number().int().min(0).default(1000),
    REFLEX_AUDIT_JUDGE: z.enum(AUDIT_JUDGES).default(DEFAULT_AUDIT_JUDGE),
    REFLEX_AUDIT_REPAIR: bool.default('1'),
    // The error budget δ: each tenant's semantic hits are held to a cosine floor its judged candidates show
    // keeps the wrong share under δ at 95% (cache/l3/budget). Unset: audits only measure.
    REFLEX_MAX_WRONG_HITS: z.coerce.number().gt(0).lt(1).optional(),
    // How a tenant starts under that budget: strict (no semantic hits until its judgements show a floor
    // within δ) or open (the configured floor, raised once audits find wrong hits). See errorBudget.ts.
    REFLEX_BUDGET_START: z.enum(BUDGET_STARTS).default('strict'),
    // The admin dashboard's cost estimate: JSON {"model": {"prompt": USD/1M, "completion": USD/1M}}, over DEFAULT_PRICES.
    REFLEX_PRICES: prices,
    // Where the dashboard links fills to; default: the embedded UI on REFLEX_TEMPORAL_UI_PORT.
    REFLEX_TEMPORAL_UI_URL: optionalString.refine((v) => v === undefined || /^https?:\/\/[^\s]+$/.test(v), { message: 'expected a URL such as https://temporal.example.com' }),
    // Who may call /v1 (see docs/operations.md): unset = keys when the gateway holds the provider key.
    REFLEX_AUTH: z.enum(['keys', 'forward', 'none', '']).optional().transform((v) => v || undefined),
    REFLEX_KEYS_PATH: optionalString,
    // postgres://user:password@host:5432/db — keys and rate limits shared by replicas on any host (src/postgres).
    REFLEX_DATABASE_URL: optionalString.refine((v) => v === undefined || /^postgres(ql)?:\/\//.test(v), { message: 'expected a postgres:// or postgresql:// URL' }),
    // How stale a replica's copy of the keys may get when a NOTIFY is lost (PostgreSQL only).
    REFLEX_KEYS_REFRESH_MS: positiveInt.max(60_000).default(1000),
    REFLEX_TENANT_SECRET: key32,
    REFLEX_WORKER_METRICS_PORT: port.default(0),
    REFLEX_TOKEN_KEY: key32,
    // Temporal payload encryption (src/temporal/payloadCodec.ts, docs/operations.md).
    REFLEX_PAYLOAD_KEY: key32,
    REFLEX_PAYLOAD_KEY_ID: optionalString.refine((v) => v === undefined || keyId.test(v), { message: 'expected 1-64 of A-Z a-z 0-9 . _ -' }),
    REFLEX_PAYLOAD_OLD_KEYS: oldKeys,
    // Browser origins (the Temporal Web UI) allowed to call /codec; default: the embedded UI.
    REFLEX_CODEC_CORS_ORIGINS: optionalString.refine((v) => list(v).every((o) => /^https?:\/\/[^/]+$/.test(o)), {
      message: 'expected a comma list of origins such as https://temporal-ui.example.com',
    }),
    REFLEX_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    // Tracing uses the standard OpenTelemetry variables (see src/tracing.ts); off unless an endpoint is set.
    OTEL_EXPORTER_OTLP_ENDPOINT: optionalString,
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalString,
    OTEL_SERVICE_NAME: optionalString,
    OTEL_SDK_DISABLED: optionalString,
    OTEL_TRACES_EXPORTER: optionalString,
  })
  .transform((env, ctx) => ({
    home: path.resolve(env.REFLEX_HOME),
    port: env.REFLEX_PORT,
    bindAddr: env.REFLEX_BIND_ADDR,
    dataDir: path.resolve(env.REFLEX_HOME, 'data'),
    venv: path.resolve(env.REFLEX_VENV ?? path.join(env.REFLEX_HOME, 'venv')),
    storagePath: path.resolve(env.REFLEX_STORAGE_PATH ?? path.join(env.REFLEX_HOME, 'data', 'entries')),
    embeddingsPath: path.resolve(env.REFLEX_EMBEDDINGS_PATH ?? path.join(env.REFLEX_HOME, 'data', 'embeddings')),
    maxBodyBytes: env.REFLEX_MAX_BODY_BYTES,
    temporal: {
      address: env.REFLEX_TEMPORAL_ADDRESS,
      namespace: env.REFLEX_TEMPORAL_NAMESPACE,
      taskQueue: env.REFLEX_TEMPORAL_TASK_QUEUE,
      uiPort: env.REFLEX_TEMPORAL_UI_PORT,
      workflowWatchdogMs: env.REFLEX_WORKFLOW_WATCHDOG_MS,
      workerFills: env.REFLEX_WORKER_FILLS,
      workflowStackTraces: env.REFLEX_WORKFLOW_STACK_TRACES,
    },
    milvus: {
      address: env.REFLEX_MILVUS_ADDRESS,
      collection: env.REFLEX_MILVUS_COLLECTION,
      timeoutMs: env.REFLEX_MILVUS_TIMEOUT_MS,
      index: { type: env.REFLEX_MILVUS_INDEX, nlist: env.REFLEX_MILVUS_NLIST, nprobe: env.REFLEX_MILVUS_NPROBE },
    },
    model: {
      path: path.resolve(env.REFLEX_MODEL_PATH ?? path.join(env.REFLEX_HOME, 'models')),
      name: env.REFLEX_MODEL_NAME,
      threads: env.REFLEX_EMBED_THREADS,
    },
    l1Capacity: env.REFLEX_L1_CAPACITY,
    exactLane: env.REFLEX_EXACT_LANE,
    l2: { candidates: env.REFLEX_L2_CANDIDATES, topK: env.REFLEX_L2_TOP_K },
    similarityThreshold: env.REFLEX_SIMILARITY_THRESHOLD,
    /** undefined = the default guard set; [] = none ("none"). */
    verifierGuards: env.REFLEX_VERIFIER_GUARDS === undefined ? undefined : env.REFLEX_VERIFIER_GUARDS === 'none' ? [] : list(env.REFLEX_VERIFIER_GUARDS),
    verifier: {
      kind: env.REFLEX_VERIFIER,
      model: {
        path: path.resolve(env.REFLEX_VERIFIER_MODEL_PATH ?? DEFAULT_VERIFIER_MODELS_DIR),
        threshold: env.REFLEX_VERIFIER_THRESHOLD,
        floor: env.REFLEX_VERIFIER_FLOOR,
      },
    },
    keySampling: env.REFLEX_KEY_SAMPLING,
    thresholdBounds: { min: env.REFLEX_THRESHOLD_MIN, max: env.REFLEX_THRESHOLD_MAX },
    responseFormat: env.REFLEX_RESPONSE_FORMAT,
    upstream: {
      url: env.REFLEX_UPSTREAM_URL,
      apiKey: env.REFLEX_UPSTREAM_API_KEY,
      timeoutMs: env.REFLEX_UPSTREAM_TIMEOUT_MS,
      maxAttempts: env.REFLEX_PROVIDER_MAX_ATTEMPTS,
      mock: env.REFLEX_MOCK_PROVIDER,
    },
    clientDeadlineMs: env.REFLEX_CLIENT_DEADLINE_MS,
    admission: { limit: env.REFLEX_MAX_MISSES, queue: env.REFLEX_MISS_QUEUE, waitMs: env.REFLEX_MISS_QUEUE_MS },
    indexMaxAttempts: env.REFLEX_INDEX_MAX_ATTEMPTS,
    retention: {
      ttlSeconds: env.REFLEX_TTL,
      maxEntries: env.REFLEX_MAX_ENTRIES,
      maxEmbeddings: env.REFLEX_MAX_EMBEDDINGS ?? env.REFLEX_MAX_ENTRIES,
      sweepIntervalMs: env.REFLEX_SWEEP_INTERVAL * 1000,
      repair: { intervalMs: env.REFLEX_REPAIR_INTERVAL * 1000, windowMs: env.REFLEX_REPAIR_WINDOW * 1000 },
      l1RevalidateMs: env.REFLEX_L1_REVALIDATE_MS,
    },
    adminToken: env.REFLEX_ADMIN_TOKEN,
    audit: {
      rate: env.REFLEX_AUDIT_RATE,
      dailyCap: env.REFLEX_AUDIT_DAILY_CAP,
      judge: env.REFLEX_AUDIT_JUDGE,
      repair: env.REFLEX_AUDIT_REPAIR,
      maxWrongHits: env.REFLEX_MAX_WRONG_HITS,
      budgetStart: env.REFLEX_BUDGET_START,
    },
    prices: { ...DEFAULT_PRICES, ...env.REFLEX_PRICES },
    temporalUiUrl: (env.REFLEX_TEMPORAL_UI_URL ?? `http://127.0.0.1:${env.REFLEX_TEMPORAL_UI_PORT}`).replace(/\/$/, ''),
    databaseUrl: sharedDatabase(env, ctx),
    auth: {
      mode: authMode(env, ctx),
      keysPath: path.resolve(env.REFLEX_KEYS_PATH ?? path.join(env.REFLEX_HOME, 'data', 'keys')),
      keysRefreshMs: env.REFLEX_KEYS_REFRESH_MS,
      tenantSecret: env.REFLEX_TENANT_SECRET,
    },
    workerMetricsPort: env.REFLEX_WORKER_METRICS_PORT,
    tokenKey: env.REFLEX_TOKEN_KEY,
    payload: { key: env.REFLEX_PAYLOAD_KEY, keyId: env.REFLEX_PAYLOAD_KEY_ID, oldKeys: env.REFLEX_PAYLOAD_OLD_KEYS },
    codecCorsOrigins: env.REFLEX_CODEC_CORS_ORIGINS
      ? list(env.REFLEX_CODEC_CORS_ORIGINS)
      : [`http://127.0.0.1:${env.REFLEX_TEMPORAL_UI_PORT}`, `http://localhost:${env.REFLEX_TEMPORAL_UI_PORT}`],
    logLevel: env.REFLEX_LOG_LEVEL,
    tracing: {
      enabled:
        !!(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) &&
        env.OTEL_SDK_DISABLED?.toLowerCase() !== 'true' &&
        env.OTEL_TRACES_EXPORTER?.toLowerCase() !== 'none',
      serviceName: env.OTEL_SERVICE_NAME ?? 'reflex',
    },
  }));

/**
 * The safe default: a gateway that spends its own provider key lets no
 * unknown caller spend it. A gateway key is never forwarded to the provider,
 * so keys mode needs a provider key of its own (or the mock).
 */
function authMode(
  env: { REFLEX_AUTH?: 'keys' | 'forward' | 'none'; REFLEX_UPSTREAM_API_KEY?: string; REFLEX_MOCK_PROVIDER: boolean },
  ctx: z.RefinementCtx,
): 'keys' | 'forward' | 'none' {
  const mode = env.REFLEX_AUTH ?? (env.REFLEX_UPSTREAM_API_KEY ? 'keys' : 'forward');
  if (mode === 'keys' && !env.REFLEX_UPSTREAM_API_KEY && !env.REFLEX_MOCK_PROVIDER) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['REFLEX_AUTH'], message: 'keys mode needs REFLEX_UPSTREAM_API_KEY (or REFLEX_MOCK_PROVIDER=1): gateway keys are never sent to the provider' });
  }
  return mode;
}

/**
 * Replicas that share a database share no directory, so the secrets a lone
 * gateway generates into REFLEX_HOME must be given to each of them instead:
 * different tenant secrets would file the same caller under different
 * tenants, different payload keys would make one replica's fills unreadable
 * to another's worker.
 */
function sharedDatabase(env: { REFLEX_DATABASE_URL?: string; REFLEX_TENANT_SECRET?: string; REFLEX_TOKEN_KEY?: string; REFLEX_PAYLOAD_KEY?: string }, ctx: z.RefinementCtx): string | undefined {
  if (!env.REFLEX_DATABASE_URL) return undefined;
  for (const name of ['REFLEX_TENANT_SECRET', 'REFLEX_TOKEN_KEY', 'REFLEX_PAYLOAD_KEY'] as const) {
    if (!env[name]) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [name], message: 'with REFLEX_DATABASE_URL, set it (the same on every replica): replicas share no REFLEX_HOME to generate it into' });
  }
  return env.REFLEX_DATABASE_URL;
}

export type Config = z.output<typeof configSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; throws ConfigError listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = configSchema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
  throw new ConfigError(`invalid configuration:\n${problems.join('\n')}`);
}
