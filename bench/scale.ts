/**
 * L2 at scale: bulk-loads N synthetic entries straight into an entry store and
 * a fresh Milvus Lite (no provider, no workflows), then measures what grows
 * with N:
 *   node dist-bench/bench/scale.js --entries 100000 [--index BIN_FLAT|BIN_IVF_FLAT]
 *       [--nlist 1024] [--nprobe 16] [--queries 200] [--candidates 16] [--keep]
 *       [--milvus HOST:PORT]   # a running Milvus server instead of a fresh Milvus Lite
 * - L2 lookup latency (Milvus HAMMING search alone, and the whole SemanticLookup:
 *   search + candidate entry loads + full-precision rescoring + verifier), p50/p99;
 * - recall of the binary shortlist against exact cosine over all N vectors: how
 *   often the exact nearest entry (and the exact top 4) are in the K-candidate shortlist;
 * - this process's RSS, Milvus' RSS and disk per entry, entry-file disk per entry;
 * - Milvus start-up: from starting the process on the loaded data to the first answered search.
 * With --milvus (a server, e.g. PyPI's embedded `milvus` 2.3: Lite builds
 * BIN_FLAT only) the load goes to a new collection, which is flushed and
 * waited on until its index is built (IVF covers sealed segments only), then
 * dropped; the server's RSS, disk and start-up are not measured.
 *
 * Vectors are synthetic and deterministic: N/50 random cluster centres in 384
 * dimensions, each entry its centre plus noise (cosine ≈ 0.8 within a cluster),
 * each query a stored entry plus a little noise (cosine ≈ 0.97, a paraphrase).
 * All entries share one tenant and one context: the filtered set Milvus scans is
 * the whole collection (the worst case for one busy tenant).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';

import os from 'node:os';
import path from 'node:path';
import { MilvusClient } from '@zilliz/milvus2-sdk-node';
import { cosine } from '../src/cache/embedding/cosine';
import type { WindowedEmbedder } from '../src/cache/embedding/embedder';
import { ExactCache } from '../src/cache/l1/exactCache';
import { SemanticLookup } from '../src/cache/l2/semanticLookup';
import { TextComparison } from '../src/cache/l3/compare';
import { createVerifier } from '../src/cache/l3/guardedVerifier';
import { ENTRY_FORMAT_VERSION, Entry } from '../src/cache/storage/entry';
import { FileEntryStore } from '../src/cache/storage/fileEntryStore';
import { freePort, ManagedProcess } from '../src/ops/stack/managedProcess';
import { startMilvus } from '../src/ops/stack/milvus';
import { BinaryIndexSpec, MilvusIndex } from '../src/cache/vectordb/milvus';
import { signBits } from '../src/cache/vectordb/signBits';
import { percentiles } from './load';
import { scriptArgs } from './scriptArgs';

const DIM = 384;
const TENANT = 'a'.repeat(16);
const CONTEXT = 'c'.repeat(32);
const BATCH = 2_000;
/** REFLEX_THRESHOLD_MIN's default: no request can be served a candidate below it. */
const SERVABLE_COSINE = 0.8;
const REPO = path.resolve(__dirname, '..', '..'); // dist-bench/bench → the repository
/** The bench's vectors are synthetic and its texts one short sentence each: L3 compares them whole and never embeds. */
const SHORT_TEXTS: WindowedEmbedder = {
  dim: DIM,
  id: 'synthetic',
  window: 512,
  tokens: async (text) => text.split(/\s+/).length + 2,
  embed: () => Promise.reject(new Error('the scale bench never embeds')),
};

/** Deterministic PRNG (mulberry32) and standard normals from it. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(next: () => number): number {
  return Math.sqrt(-2 * Math.log(next() || 1e-12)) * Math.cos(2 * Math.PI * next());
}

function normalise(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n);
  for (let i = 0; i < v.length; i++) v[i]! /= n;
  return v;
}

function noisy(base: Float32Array, sigma: number, seed: number): Float32Array {
  const next = rng(seed);
  const v = new Float32Array(DIM);
  for (let d = 0; d < DIM; d++) v[d] = base[d]! + sigma * gaussian(next);
  return normalise(v);
}

class Corpus {
  private readonly centres: Float32Array[];

  constructor(readonly size: number) {
    const count = Math.max(16, Math.ceil(size / 50));
    this.centres = Array.from({ length: count }, (_, c) => noisy(new Float32Array(DIM), 1, 1_000_000_007 + c));
  }

  /** Entry i: its cluster's centre plus noise of about cosine 0.8. */
  vector(i: number): Float32Array {
    return noisy(this.centres[i % this.centres.length]!, 0.75 / Math.sqrt(DIM), i + 1);
  }

  key(i: number): string {
    return i.toString(16).padStart(64, '0');
  }
}

function entryOf(corpus: Corpus, i: number, createdAt: number): Entry {
  return {
    version: ENTRY_FORMAT_VERSION,
    tenant: TENANT,
    key: corpus.key(i),
    context: CONTEXT,
    model: 'bench-model',
    createdAt,
    semanticText: `synthetic question number ${i}`,
    embedder: SHORT_TEXTS.id,
    embedding: Array.from(corpus.vector(i)),
    response: { id: `chatcmpl-${i}`, object: 'chat.completion', created: 1, model: 'bench-model', choices: [{ index: 0, message: { role: 'assistant', content: `answer ${i}` }, finish_reason: 'stop' }] },
  };
}

async function mapLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

const duBytes = (dir: string) => Number(execFileSync('du', ['-sb', dir]).toString().split('\t')[0]);

/** RSS of the milvus binary serving this data directory (the managed process is its shell watchdog). */
function milvusRssBytes(dataDir: string): number {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.includes(dataDir) && cmd.includes('milvus.db') && !cmd.startsWith('/bin/sh')) {
        const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        if (rss) return Number(rss[1]) * 1024;
      }
    } catch {
      /* gone */
    }
  }
  return NaN;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)} load ${os.loadavg()[0]!.toFixed(1)}] ${line}`);

async function main(): Promise<void> {
  const { values } = scriptArgs(process.argv.slice(2), {
    summary: 'L2 at scale: N synthetic entries bulk-loaded into an entry store and Milvus; lookup latency, shortlist recall, memory, disk and start-up.',
    options: {
      entries: { type: 'string', default: '10000', description: 'entries loaded' },
      index: { type: 'string', default: 'BIN_FLAT', description: 'BIN_FLAT or BIN_IVF_FLAT (a Milvus server only)' },
      nlist: { type: 'string', default: '1024', description: 'BIN_IVF_FLAT: clusters built' },
      nprobe: { type: 'string', default: '16', description: 'BIN_IVF_FLAT: clusters scanned per search' },
      queries: { type: 'string', default: '200', description: 'lookups timed' },
      candidates: { type: 'string', default: '16', description: 'binary shortlist size' },
      dir: { type: 'string', description: 'where the entries and Milvus Lite data go (default: a temp dir)' },
      keep: { type: 'boolean', default: false, description: 'keep that folder afterwards' },
      milvus: { type: 'string', description: 'HOST:PORT of a running Milvus server instead of a fresh Milvus Lite' },
    },
  });
  const external = values.milvus;
  const n = Number(values.entries);
  const spec: BinaryIndexSpec = { type: values.index as BinaryIndexSpec['type'], nlist: Number(values.nlist), nprobe: Number(values.nprobe) };
  if (spec.type !== 'BIN_FLAT' && spec.type !== 'BIN_IVF_FLAT') throw new Error('--index is BIN_FLAT or BIN_IVF_FLAT');
  const k = Number(values.candidates);
  const home = values.dir ? path.resolve(values.dir) : mkdtempSync(path.join(os.tmpdir(), 'reflex-scale-'));
  const dataDir = path.join(home, 'data');
  mkdirSync(dataDir, { recursive: true });
  const venv = process.env.REFLEX_VENV ?? path.join(REPO, '.reflex', 'venv');
  const address = external ?? `127.0.0.1:${await freePort()}`;
  const collection = external ? `scale_${n}_${spec.type.toLowerCase()}_${Date.now()}` : 'scale';
  log(`${n} entries, index ${spec.type}${spec.type === 'BIN_IVF_FLAT' ? ` nlist ${spec.nlist} nprobe ${spec.nprobe}` : ''}, shortlist ${k}, in ${home}`);

  let milvus: ManagedProcess | undefined = external ? undefined : await startMilvus({ venv, address, dataDir });
  const corpus = new Corpus(n);
  const store = new FileEntryStore(path.join(dataDir, 'entries'));
  const index = new MilvusIndex({ address, collection, dim: DIM, timeoutMs: 120_000, index: spec });
  try {
    // Queries: paraphrase-like perturbations of stored entries, spread over the corpus.
    const q = Math.min(Number(values.queries), n);
    const queries = Array.from({ length: q }, (_, j) => {
      const source = Math.floor(((j + 0.5) / q) * n);
      return { source, vector: noisy(corpus.vector(source), 0.25 / Math.sqrt(DIM), 7_000_000 + j) };
    });
    // Exact nearest neighbours by full-precision cosine over every stored vector.
    let t0 = performance.now();
    const exact = queries.map(() => [] as { i: number; s: number }[]);
    for (let i = 0; i < n; i++) {
      const v = corpus.vector(i);
      queries.forEach((query, j) => {
        const s = cosine(query.vector, v);
        const top = exact[j]!;
        if (top.length < 4 || s > top[top.length - 1]!.s) {
          top.push({ i, s });
          top.sort((a, b) => b.s - a.s);
          if (top.length > 4) top.pop();
        }
      });
    }
    log(`exact top-4 by brute force for ${q} queries: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    // (Worked out before the load: a Milvus connection left idle through minutes of brute force was dropped.)

    // Bulk load through the store's own writes (atomic, fsynced: what the gateway does), index upserts in batches.
    const createdAt = Date.now();
    t0 = performance.now();
    let indexMs = 0;
    for (let start = 0; start < n; start += BATCH) {
      const batch = Array.from({ length: Math.min(BATCH, n - start) }, (_, j) => entryOf(corpus, start + j, createdAt));
      await mapLimit(batch, 32, (e) => store.write(e));
      const i0 = performance.now();
      await index.upsert(batch.map((e) => ({ tenant: e.tenant, key: e.key, model: e.model, context: e.context, createdAt, bits: signBits(e.embedding) })));
      indexMs += performance.now() - i0;
      if ((start / BATCH) % 50 === 0) log(`loaded ${start + batch.length}/${n}`);
    }
    const loadMs = performance.now() - t0;
    log(`bulk load: ${(loadMs / 1000).toFixed(1)} s (${(indexMs / 1000).toFixed(1)} s of it Milvus upserts)`);
    if (external) log(`flush and index build: ${(await sealAndIndex(address, collection)).toFixed(1)} s`);

    const filter = { tenant: TENANT, context: CONTEXT };
    for (const query of queries.slice(0, 5)) await index.search(signBits(query.vector), filter, k); // warm-up
    const searchMs: number[] = [];
    let top1 = 0;
    let top4 = 0;
    let servable = 0;
    let servableFound = 0;
    for (const [j, query] of queries.entries()) {
      const s0 = performance.now();
      const hits = await index.search(signBits(query.vector), filter, k);
      searchMs.push(performance.now() - s0);
      const shortlist = new Set(hits.map((h) => h.key));
      if (shortlist.has(corpus.key(exact[j]![0]!.i))) top1++;
      top4 += exact[j]!.filter((e) => shortlist.has(corpus.key(e.i))).length;
      // What a request could ever be served: neighbours at or above the lowest allowed threshold.
      const close = exact[j]!.filter((e) => e.s >= SERVABLE_COSINE);
      servable += close.length;
      servableFound += close.filter((e) => shortlist.has(corpus.key(e.i))).length;
    }
    const lookup = new SemanticLookup(index, new ExactCache(store, 10_000), createVerifier({ threshold: 0.97 }), new TextComparison(SHORT_TEXTS, false), { candidates: k, topK: 4, embedder: SHORT_TEXTS.id });
    const lookupMs: number[] = [];
    let served = 0;
    for (const query of queries) {
      const l0 = performance.now();
      const hit = await lookup.find({ ...filter, text: `synthetic question number ${query.source}`, embedding: query.vector });
      lookupMs.push(performance.now() - l0);
      if (hit) served++;
    }
    const s = percentiles(searchMs);
    const l = percentiles(lookupMs);
    log(`Milvus search (K=${k}): p50 ${s.p50.toFixed(2)} ms p99 ${s.p99.toFixed(2)} ms`);
    log(`L2 lookup (search + ${k} entry loads, cold L1 + rescoring + verifier): p50 ${l.p50.toFixed(2)} ms p99 ${l.p99.toFixed(2)} ms; ${served}/${q} verified hits`);
    log(`recall of the shortlist: exact top-1 in it ${(top1 / q).toFixed(3)}; exact top-4 in it ${(top4 / (4 * q)).toFixed(3)}; exact top-4 with cosine ≥ ${SERVABLE_COSINE} in it ${(servableFound / servable).toFixed(3)} (${servable} such)`);
    if (external) {
      await index.drop();
      return;
    }
    const milvusRss = milvusRssBytes(dataDir);
    const milvusDisk = duBytes(path.join(dataDir, 'milvus'));
    const entryDisk = duBytes(path.join(dataDir, 'entries'));
    log(`RSS: this process ${mib(process.memoryUsage().rss)}, Milvus ${mib(milvusRss)} (${(milvusRss / n).toFixed(0)} B/entry)`);
    log(`disk: Milvus ${mib(milvusDisk)} (${(milvusDisk / n).toFixed(0)} B/entry), entry files ${mib(entryDisk)} (${(entryDisk / n).toFixed(0)} B/entry)`);

    // Start-up on the loaded data: a new Milvus process until its first search is answered.
    await index.close();
    await milvus?.stop();
    t0 = performance.now();
    milvus = await startMilvus({ venv, address, dataDir });
    const listening = performance.now() - t0;
    const reopened = new MilvusIndex({ address, collection: 'scale', dim: DIM, timeoutMs: 600_000, index: spec });
    await reopened.search(signBits(queries[0]!.vector), filter, k);
    log(`Milvus start-up with ${n} entries: listening after ${(listening / 1000).toFixed(1)} s, first search answered after ${((performance.now() - t0) / 1000).toFixed(1)} s; RSS then ${mib(milvusRssBytes(dataDir))}`);
    await reopened.close();
  } finally {
    await index.close().catch(() => undefined);
    await milvus?.stop();
    if (!values.keep) rmSync(home, { recursive: true, force: true });
  }
}

/** Seals the loaded segments and waits until the server's index covers every row; seconds taken. */
async function sealAndIndex(address: string, collection: string): Promise<number> {
  const client = new MilvusClient({ address });
  const t0 = performance.now();
  try {
    await client.flushSync({ collection_names: [collection] });
    for (;;) {
      const progress = await client.getIndexBuildProgress({ collection_name: collection, field_name: 'bits' });
      if (Number(progress.total_rows) > 0 && Number(progress.indexed_rows) >= Number(progress.total_rows)) break;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  } finally {
    await client.closeConnection();
  }
  return (performance.now() - t0) / 1000;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
