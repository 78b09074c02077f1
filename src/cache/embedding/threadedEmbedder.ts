/**
 * The gateway's embedder: the ONNX model in worker threads of its own, so the
 * event loop never waits on an embedding (ONNX Runtime's run is synchronous
 * in the thread that calls it). On the main thread a semantic hit's
 * embedding was most of the loop's work, which capped hits at one core no
 * matter how idle the other was (BENCHMARKS.md, semantic hits under load).
 * Each embedding goes to the thread with the fewest in hand, so concurrent
 * lookups embed on as many cores as there are threads. A thread that dies
 * fails what it had in hand (those lookups become misses, never wrong hits)
 * and its next embedding starts a new one.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { EmbedOptions, EmbedderOptions, WindowedEmbedder } from './embedder';
import type { Ask, Ready, Reply, ThreadConfig } from './embedderThread';

type Pending = { resolve(v: Float32Array | number): void; reject(e: Error): void };

/** One embedding thread and what it has in hand. */
class Lane {
  private worker: Promise<Worker> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  /** The model's window, known once a thread has loaded it. */
  window = 0;

  constructor(private readonly config: ThreadConfig) {}

  get load(): number {
    return this.pending.size;
  }

  embed(text: string, contended: boolean | undefined): Promise<Float32Array> {
    return this.ask({ text, contended }) as Promise<Float32Array>;
  }

  tokens(text: string): Promise<number> {
    return this.ask({ text, count: true }) as Promise<number>;
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

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await (await worker.catch(() => undefined))?.terminate();
  }

  /** A new thread, resolved once its model is loaded; one that fails to load is retried by the next embedding. */
  private spawn(): Promise<Worker> {
    const worker = new Worker(path.join(__dirname, 'embedderThread.js'), { workerData: this.config });
    const ready = new Promise<Worker>((resolve, reject) => {
      worker.once('message', (first: Ready) => {
        if (!first.ready) return reject(new Error(`embedding model failed to load: ${first.error}`));
        this.window = first.window;
        resolve(worker);
      });
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

  /** The thread ended (or never loaded): what it had in hand fails, and the next embedding starts a new thread. */
  private lost(thread: Promise<Worker>): void {
    if (this.worker !== thread) return;
    this.worker = undefined;
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      pending.reject(new Error('the embedding thread stopped'));
    }
  }
}

export class ThreadedEmbedder implements WindowedEmbedder {
  dim = 0;
  window = 0;

  private constructor(private readonly lanes: Lane[]) {}

  /** `threads` embedding threads (REFLEX_EMBED_THREADS), each also allowed that many ONNX threads when the process is otherwise idle. */
  static async start(modelPath: string, modelName: string, options: EmbedderOptions): Promise<ThreadedEmbedder> {
    const config: ThreadConfig = { modelPath, modelName, threads: options.threads };
    const embedder = new ThreadedEmbedder(Array.from({ length: Math.max(1, options.threads) }, () => new Lane(config)));
    // Every thread loads its model now, so the first requests do not wait for it.
    const dims = await Promise.all(embedder.lanes.map((lane) => lane.embed('dimension probe', false)));
    embedder.dim = dims[0]!.length;
    embedder.window = embedder.lanes[0]!.window;
    return embedder;
  }

  embed(text: string, options: EmbedOptions = {}): Promise<Float32Array> {
    return this.leastBusy().embed(text, options.contended);
  }

  tokens(text: string): Promise<number> {
    return this.leastBusy().tokens(text);
  }

  private leastBusy(): Lane {
    return this.lanes.reduce((a, b) => (b.load < a.load ? b : a));
  }

  async close(): Promise<void> {
    await Promise.all(this.lanes.map((lane) => lane.close()));
  }
}
