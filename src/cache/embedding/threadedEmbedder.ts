/**
 * The gateway's embedder: one model, in one worker thread of its own, so the
 * event loop never waits on an embedding (ONNX Runtime's run is synchronous
 * in the thread that calls it). One thread and one session per process: each
 * copy of the model costs ~55 MB and a thread's JavaScript ~50 MB, and one
 * int8 embedding (~2.5 ms) leaves the thread free for hundreds a second.
 * The thread starts with the first embedding (or at once when asked to), so
 * a process that never embeds never loads the model; its dimension, window
 * and id come from the model folder (modelInfo.ts). A thread that dies fails
 * what it had in hand (those lookups become misses, never wrong hits) and the
 * next embedding starts a new one.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { WindowedEmbedder } from './embedder';
import type { EmbedderOptions } from './onnxEmbedder';
import { readModelInfo, type ModelInfo } from './modelInfo';
import type { Ask, Ready, Reply, ThreadConfig } from './embedderThread';

/**
 * ONNX Runtime's native binding registers itself once per load of the
 * library: once the last thread holding it ends, the library is unloaded and
 * a new thread's load fails ("Module did not self-register"). Holding it in
 * this thread too (~12 MB, and only in a process that embeds) lets a thread
 * that died be replaced.
 */
let pinned = false;
function pinNativeBinding(): void {
  if (pinned) return;
  require('onnxruntime-node');
  pinned = true;
}

type Pending = { resolve(v: Float32Array | number): void; reject(e: Error): void };

export class ThreadedEmbedder implements WindowedEmbedder {
  private worker: Promise<Worker> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  private constructor(
    private readonly info: ModelInfo,
    private readonly config: ThreadConfig,
  ) {}

  /** `load`: start the thread and load the model now (the API, so its first lookup does not wait), rather than at the first embedding. */
  static async open(modelPath: string, modelName: string, options: EmbedderOptions & { load?: boolean }): Promise<ThreadedEmbedder> {
    const embedder = new ThreadedEmbedder(await readModelInfo(modelPath, modelName), { modelPath, modelName, threads: options.threads });
    if (options.load) {
      const probe = await embedder.embed('dimension probe');
      if (probe.length !== embedder.dim) throw new Error(`the model makes ${probe.length}-dimensional vectors, its config.json says ${embedder.dim}`);
    }
    return embedder;
  }

  get dim(): number {
    return this.info.dim;
  }

  get window(): number {
    return this.info.window;
  }

  get id(): string {
    return this.info.id;
  }

  embed(text: string): Promise<Float32Array> {
    return this.ask({ text }) as Promise<Float32Array>;
  }

  tokens(text: string): Promise<number> {
    return this.ask({ text, count: true }) as Promise<number>;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await (await worker.catch(() => undefined))?.terminate();
  }

  private async ask(ask: Omit<Ask, 'id'>): Promise<Float32Array | number> {
    const id = this.nextId++;
    const answer = new Promise<Float32Array | number>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    try {
      (await (this.worker ??= this.spawn())).postMessage({ id, ...ask } satisfies Ask);
    } catch (err) {
      this.pending.delete(id);
      throw err;
    }
    return answer;
  }

  /** A new thread, resolved once its model is loaded; one that fails to load is retried by the next embedding. */
  private spawn(): Promise<Worker> {
    pinNativeBinding();
    const worker = new Worker(path.join(__dirname, 'embedderThread.js'), { workerData: this.config });
    const ready = new Promise<Worker>((resolve, reject) => {
      worker.once('message', (first: Ready) => (first.ready ? resolve(worker) : reject(new Error(`embedding model failed to load: ${first.error}`))));
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the embedding thread exited (${code}) before its model loaded`)));
    });
    worker.on('message', (reply: Reply | Ready) => 'id' in reply && this.settle(reply));
    worker.on('exit', () => this.lost(ready));
    worker.on('error', () => undefined);
    ready.catch(() => this.lost(ready));
    return ready;
  }

  private settle(reply: Reply): void {
    const pending = this.pending.get(reply.id);
    this.pending.delete(reply.id);
    if ('vector' in reply) pending?.resolve(reply.vector);
    else if ('tokens' in reply) pending?.resolve(reply.tokens);
    else pending?.reject(new Error(`embedding failed: ${reply.error}`));
  }

  /** The thread ended (or never loaded): what it had in hand fails, and the next embedding starts a new one. */
  private lost(thread: Promise<Worker>): void {
    if (this.worker !== thread) return;
    this.worker = undefined;
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      pending.reject(new Error('the embedding thread stopped'));
    }
  }
}
