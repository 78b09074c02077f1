/**
 * `reflex migrate-store`: copies the gateway's state from one storage adapter
 * to another (files → PostgreSQL to move a deployment onto several hosts;
 * the reverse too) without calling the provider: entries, outbox records,
 * stored embeddings, gateway keys and verdicts (what each tenant's error
 * budget learned its floor from: without them a strict tenant starts closed
 * again). Claim-check blobs are not copied: they
 * only matter while a fill runs (stop the gateway first, let fills finish).
 *
 * Idempotent: every write is an upsert of the same content, so a second run
 * changes nothing. Resumable: a checkpoint file records the phase and the
 * last address copied (each store lists in a stable order); a rerun after a
 * crash skips what was done, and a finished run removes the checkpoint.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { KeyStore } from '../auth/keyStore';
import type { EntryStore } from '../cache/storage/entryStore';
import type { Outbox } from '../miss/outbox/outbox';
import type { VectorBackend } from '../cache/vectors/vectorStore';
import type { Verdict, VerdictStore } from '../cache/l3/budget/verdicts';

export interface StateStores {
  entries: EntryStore;
  outbox: Outbox;
  vectors: VectorBackend;
  keys: KeyStore;
  verdicts: VerdictStore;
}

export type Phase = 'entries' | 'outbox' | 'embeddings' | 'keys' | 'verdicts';
const PHASES: readonly Phase[] = ['entries', 'outbox', 'embeddings', 'keys', 'verdicts'];
const CHECKPOINT_EVERY = 100;

export interface MigrateProgress {
  phase(name: Phase, total: number): void;
  advance(): void;
  done(): void;
}

export type MigrateSummary = Record<Phase, number> & { resumedAt?: { phase: Phase; after: string } };

interface Checkpoint {
  phase: Phase;
  after: string;
}

/** One item to copy: its address (the checkpoint's unit, in the source's listing order) and how to copy it. */
interface Item {
  address: string;
  copy(): Promise<void>;
}

export async function migrateStore(from: StateStores, to: StateStores, checkpointFile: string, progress?: MigrateProgress, restart = false): Promise<MigrateSummary> {
  const resume = restart ? undefined : await readCheckpoint(checkpointFile);
  const summary: MigrateSummary = { entries: 0, outbox: 0, embeddings: 0, keys: 0, verdicts: 0, ...(resume && { resumedAt: resume }) };
  for (const phase of PHASES) {
    if (resume && PHASES.indexOf(phase) < PHASES.indexOf(resume.phase)) continue;
    const after = resume?.phase === phase ? resume.after : '';
    const items = (await collect(itemsOf(phase, from, to))).filter((i) => i.address > after);
    progress?.phase(phase, items.length);
    for (const [i, item] of items.entries()) {
      await item.copy();
      summary[phase]++;
      // Every CHECKPOINT_EVERY items: a crash redoes at most that many copies, which are upserts anyway.
      if (i % CHECKPOINT_EVERY === CHECKPOINT_EVERY - 1 || i === items.length - 1) await writeCheckpoint(checkpointFile, { phase, after: item.address });
      progress?.advance();
    }
  }
  await fs.rm(checkpointFile, { force: true });
  progress?.done();
  return summary;
}

async function* itemsOf(phase: Phase, from: StateStores, to: StateStores): AsyncGenerator<Item> {
  if (phase === 'entries') {
    for await (const f of from.entries.list()) {
      yield { address: `${f.tenant}/${f.key}`, copy: async () => {
        const entry = await from.entries.read(f.tenant, f.key);
        if (entry) await to.entries.write(entry);
      } };
    }
  } else if (phase === 'outbox') {
    for await (const r of from.outbox.list()) {
      yield { address: `${r.tenant}/${r.key}`, copy: async () => {
        const record = await from.outbox.read(r.tenant, r.key);
        if (record) await to.outbox.write(record);
      } };
    }
  } else if (phase === 'embeddings') {
    for await (const v of from.vectors.list()) {
      yield { address: `${v.tenant}/${v.key}`, copy: async () => {
        const stored = await from.vectors.read(v.tenant, v.key);
        if (stored) await to.vectors.write(v.tenant, v.key, stored);
      } };
    }
  } else if (phase === 'keys') {
    for (const k of await from.keys.exportAll()) yield { address: k.hash, copy: () => to.keys.importKey(k) };
  } else {
    yield* verdictItems(from.verdicts, to.verdicts);
  }
}

/**
 * Each tenant's verdicts in the order they were appended (the address keeps
 * it: tenant, then position). One the target already holds is skipped: the
 * file store appends a repeated id as a line of its own.
 */
async function* verdictItems(from: VerdictStore, to: VerdictStore): AsyncGenerator<Item> {
  for (const tenant of await from.tenants()) {
    const present = new Set((await readAll(to, tenant)).map((v) => v.id));
    for (const [i, verdict] of (await readAll(from, tenant)).entries()) {
      if (present.has(verdict.id)) continue;
      yield { address: `${tenant}/${String(i).padStart(12, '0')}`, copy: () => to.append(verdict) };
    }
  }
}

async function readAll(store: VerdictStore, tenant: string): Promise<Verdict[]> {
  const all: Verdict[] = [];
  for (let cursor: string | undefined, page; (page = await store.read(tenant, cursor)).verdicts.length > 0; cursor = page.cursor) all.push(...page.verdicts);
  return all;
}

/** Sorted by address, whatever order the source listed in: the checkpoint compares addresses. */
async function collect(items: AsyncIterable<Item>): Promise<Item[]> {
  const out: Item[] = [];
  for await (const item of items) out.push(item);
  return out.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}

async function readCheckpoint(file: string): Promise<Checkpoint | undefined> {
  try {
    const c = JSON.parse(await fs.readFile(file, 'utf8')) as Checkpoint;
    return PHASES.includes(c.phase) && typeof c.after === 'string' ? c : undefined;
  } catch {
    return undefined;
  }
}

async function writeCheckpoint(file: string, checkpoint: Checkpoint): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, JSON.stringify(checkpoint));
}
