/**
 * `reflex reindex`: rebuilds the Milvus collection from the entry store, the
 * source of truth (lost collection, new embedding model). Entries whose
 * stored embedding another model made (Entry.embedder) are re-embedded and
 * rewritten. Resumable: a checkpoint file records the last storage key
 * indexed (the store lists in a stable order), so a rerun after a crash
 * continues instead of starting over; a finished run removes it.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Embedder } from '../cache/embedding/embedder';
import { Entry, storageKey } from '../cache/storage/entry';
import type { EntryStore } from '../cache/storage/entryStore';
import type { Expiry } from '../cache/storage/expiry';
import type { IndexRecord, VectorIndex } from '../cache/vectordb/index';
import { indexRecordOf } from '../cache/vectordb/record';

export interface ReindexDeps {
  store: EntryStore;
  index: VectorIndex;
  embedder: Embedder;
  expiry: Expiry;
  checkpointFile: string;
}

export interface ReindexOptions {
  /** Ignore a checkpoint and start over (the collection is dropped either way on a fresh start). */
  restart?: boolean;
  /** Re-embed every entry, not only those whose embedding does not fit the model. */
  reembed?: boolean;
  batchSize?: number;
}

export interface ReindexSummary {
  total: number;
  indexed: number;
  reembedded: number;
  expired: number;
  unreadable: number;
  resumedAfter?: string;
}

interface Checkpoint {
  lastKey: string;
  summary: ReindexSummary;
}

export interface ReindexProgress {
  start(total: number, done: number): void;
  advance(by: number): void;
  stop(): void;
}

export async function reindex(deps: ReindexDeps, options: ReindexOptions, progress: ReindexProgress): Promise<ReindexSummary> {
  const total = await countEntries(deps.store);
  const resumed = options.restart ? undefined : await readCheckpoint(deps.checkpointFile);
  const summary: ReindexSummary = resumed ? { ...resumed.summary, total, resumedAfter: resumed.lastKey } : { total, indexed: 0, reembedded: 0, expired: 0, unreadable: 0 };
  if (!resumed) {
    await deps.index.drop();
    await writeCheckpoint(deps.checkpointFile, { lastKey: '', summary });
  }
  const lastKey = resumed?.lastKey ?? '';
  progress.start(total, 0);
  let batch: IndexRecord[] = [];
  for await (const file of deps.store.list()) {
    const id = storageKey(file.tenant, file.key);
    progress.advance(1);
    if (id <= lastKey) continue;
    const record = await recordFor(deps, file.tenant, file.key, options, summary);
    if (record) batch.push(record);
    // The checkpoint moves only with a flushed batch, so a crash never skips an unindexed entry.
    if (batch.length >= (options.batchSize ?? 64)) batch = await flush(deps, batch, id, summary);
  }
  await flush(deps, batch, undefined, summary);
  progress.stop();
  await fs.rm(deps.checkpointFile, { force: true });
  return summary;
}

async function recordFor(deps: ReindexDeps, tenant: string, key: string, options: ReindexOptions, summary: ReindexSummary): Promise<IndexRecord | undefined> {
  const entry = await deps.store.read(tenant, key).catch(() => undefined);
  if (!entry) {
    summary.unreadable++;
    return undefined;
  }
  if (deps.expiry.isExpired(entry)) {
    summary.expired++;
    return undefined;
  }
  if (!options.reembed && entry.embedder === deps.embedder.id) return indexRecordOf(entry);
  const embedded: Entry = { ...entry, embedding: Array.from(await deps.embedder.embed(entry.semanticText)), embedder: deps.embedder.id };
  await deps.store.write(embedded);
  summary.reembedded++;
  return indexRecordOf(embedded);
}

async function flush(deps: ReindexDeps, batch: IndexRecord[], lastKey: string | undefined, summary: ReindexSummary): Promise<IndexRecord[]> {
  if (batch.length) await deps.index.upsert(batch);
  summary.indexed += batch.length;
  const tail = batch.at(-1);
  const last = lastKey ?? (tail && storageKey(tail.tenant, tail.key));
  if (last) await writeCheckpoint(deps.checkpointFile, { lastKey: last, summary });
  return [];
}

async function countEntries(store: EntryStore): Promise<number> {
  let n = 0;
  for await (const _ of store.list()) n++;
  return n;
}

async function readCheckpoint(file: string): Promise<Checkpoint | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as Checkpoint;
  } catch {
    return undefined;
  }
}

async function writeCheckpoint(file: string, checkpoint: Checkpoint): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(checkpoint));
  await fs.rename(tmp, file);
}
