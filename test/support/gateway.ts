/**
 * The gateway under test, as a real child process (`node dist/cli/index.js serve`:
 * API + worker) pointed at the test stack and the fake upstream over HTTP.
 * Restarting it drops everything in memory; disk, Temporal and Milvus stay.
 */
import { Client, Connection } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { TenantHasher } from '../../src/cache/keys/tenant';
import { loadConfig } from '../../src/config';
import { dataConverter, EncryptionCodec } from '../../src/temporal/payloadCodec';
import { eventually } from './eventually';
import { freePort } from './ports';
import { MODELS, REPO, TestStack, VENV } from './stack';

export interface ChatResponse {
  status: number;
  headers: Headers;
  body: any;
}

export class GatewayProcess {
  url = '';
  private child?: ChildProcess;
  private temporal?: Connection;

  constructor(
    private readonly stack: TestStack,
    private readonly env: Record<string, string>,
    /** `serve` (API + worker), or one role: `api` (e.g. one more replica on the same storage), `worker` (no port to wait on). */
    private readonly role: 'serve' | 'api' | 'worker' = 'serve',
  ) {}

  async start(): Promise<void> {
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    const log = createWriteStream(path.join(this.stack.home, 'gateway.log'), { flags: 'a' });
    this.child = spawn(process.execPath, [path.join(REPO, 'dist', 'cli', 'index.js'), this.role], {
      env: {
        ...process.env,
        REFLEX_HOME: this.stack.home,
        REFLEX_VENV: VENV,
        REFLEX_MODEL_PATH: MODELS,
        REFLEX_PORT: String(port),
        REFLEX_TEMPORAL_ADDRESS: this.stack.temporalAddress,
        REFLEX_MILVUS_ADDRESS: this.stack.milvusAddress,
        REFLEX_LOG_LEVEL: 'warn',
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.pipe(log);
    this.child.stderr!.pipe(log);
    if (this.role !== 'worker') await this.waitHealthy();
  }

  /** The child process has not exited. */
  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM (a graceful shutdown; SIGKILL after 10 s), or SIGKILL at once: a crash, nothing in flight finishes. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return; // already gone (exited, or killed by a signal)
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    await this.temporal?.close();
    this.temporal = undefined;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** The tenant id this gateway files a forwarded token's entries under (keyed with its tenant secret). */
  tenantOf(token: string): string {
    return TenantHasher.fromConfig(this.env.REFLEX_TENANT_SECRET, this.stack.home).forToken(token).id;
  }

  async chat(body: unknown, token?: string, headers: Record<string, string> = {}): Promise<ChatResponse> {
    return this.request('POST', '/v1/chat/completions', JSON.stringify(body), token, headers);
  }

  async request(method: string, route: string, body?: string, token?: string, headers: Record<string, string> = {}): Promise<ChatResponse> {
    const res = await fetch(this.url + route, {
      method,
      body,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* keep the text */
    }
    return { status: res.status, headers: res.headers, body: parsed };
  }

  /** A sample on /metrics, e.g. metric('reflex_audited_hits', 'tenant="…"'); undefined when absent (`+Inf` reads as Infinity). */
  async metric(name: string, labels = ''): Promise<number | undefined> {
    const text = (await this.request('GET', '/metrics')).body as string;
    const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
    const value = line?.split(' ').at(-1);
    return value === undefined ? undefined : value === '+Inf' ? Infinity : Number(value);
  }

  /** Waits until the fill behind a MISS has finished storing and indexing. */
  async awaitFill(res: ChatResponse): Promise<unknown> {
    const id = res.headers.get('x-reflex-fill-id');
    if (!id) throw new Error('response carries no X-Reflex-Fill-Id');
    return (await this.temporalClient()).workflow.getHandle(id).result();
  }

  /** A client that holds the gateway's payload key, as an operator's tools would. */
  async temporalClient(): Promise<Client> {
    this.temporal ??= await Connection.connect({ address: this.stack.temporalAddress });
    return new Client({ connection: this.temporal, dataConverter: dataConverter(this.codec()) });
  }

  /** Every payload of a workflow's history, decoded with the gateway's key, as one text (what an operator with the key could read). */
  /** The kind of each event in a run's history, e.g. `workflowTaskStarted`, in order. */
  async historyEvents(workflowId: string): Promise<string[]> {
    const history = await (await this.temporalClient()).workflow.getHandle(workflowId).fetchHistory();
    return (history.events ?? []).map((event) => Object.keys(event).find((k) => k.endsWith('EventAttributes') && event[k as keyof typeof event])?.replace(/EventAttributes$/, '') ?? '?');
  }

  async historyText(workflowId: string, runId?: string): Promise<string> {
    const history = await (await this.temporalClient()).workflow.getHandle(workflowId, runId).fetchHistory();
    const payloads: Payload[] = [];
    // A payload is any {metadata, data} node: inputs, results, memo fields, failure details.
    const collect = (node: unknown): void => {
      if (!node || typeof node !== 'object') return;
      if ('metadata' in node && 'data' in node) payloads.push(node as Payload);
      else for (const child of Object.values(node)) collect(child);
    };
    collect(history);
    return (await this.codec().decode(payloads)).map((p) => Buffer.from(p.data ?? []).toString('utf8')).join('\n');
  }

  /** The gateway's payload codec (its key lives in the stack's REFLEX_HOME unless the env sets one). */
  codec(): EncryptionCodec {
    return EncryptionCodec.fromConfig(loadConfig({ ...process.env, REFLEX_HOME: this.stack.home, ...this.env }));
  }

  private async waitHealthy(): Promise<void> {
    const ready = async () => {
      if (this.child!.exitCode !== null) throw new Error(`gateway exited with ${this.child!.exitCode}; see ${this.stack.home}/gateway.log`);
      // Fully ready, not "degraded": a Temporal probe that timed out under load would send the first
      // misses to the outbox (answered, but without a fill id) for the next couple of seconds.
      const res = await fetch(`${this.url}/ready`).catch(() => undefined); // not listening yet
      return res?.status === 200 && ((await res.json()) as { status?: string }).status === 'ready';
    };
    await eventually(ready, { ms: 60_000, everyMs: 250, what: `gateway ready (see ${this.stack.home}/gateway.log)` });
  }
}

export const ask = (content: string, model = 'test-model') => ({ model, messages: [{ role: 'user', content }] });
