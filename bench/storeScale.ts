/**
 * The entry store at scale, PostgreSQL beside files (BENCHMARKS.md, "Entry
 * stores at 1M entries"):
 *   node dist-bench/bench/storeScale.js --database-url postgres://… [--entries 1000000]
 *       [--files-entries 100000] [--files-dir DIR] [--reads 2000] [--concurrency 64] [--keep]
 *   node dist-bench/bench/storeScale.js --help
 * For each store: load time (N entries written through the adapter, `concurrency` at once, as fills
 * write them), bytes per entry (PostgreSQL: the entries table with its TOAST and indexes after VACUUM
 * ANALYZE; files: du), read p50/p99 of an entry outside L1 (one store.read at a time, random keys),
 * and one sweeper pass (the LRU bound set 1,000 below N: a full listing, then 1,000 evictions).
 * Rows are realistic: 16 tenants, a random unit 384-d embedding (incompressible, like a real one),
 * 900 characters of English prose from this repository's docs as the answer. The PostgreSQL run
 * needs an empty entries table (a throwaway server: bench/scripts/pg-up.mjs) and empties it after
 * unless --keep.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import type { Entry } from '../src/cache/storage/entry';
import { EntryStore } from '../src/cache/storage/entryStore';
import { FileEntryStore } from '../src/cache/storage/fileEntryStore';
import { NEVER_EXPIRES } from '../src/cache/storage/expiry';
import { PgEntryStore } from '../src/cache/storage/pgEntryStore';
import { Metrics } from '../src/metrics';
import { Sweeper } from '../src/ops/sweeper';
import { Database } from '../src/postgres/database';
import { MemoryIndex } from '../src/cache/vectordb/memory';
import { percentiles } from './load';

const REPO = path.resolve(__dirname, '..', '..'); // dist-bench/bench → the repository
const TENANTS = 16;
const EVICT = 1_000;
const USAGE = `node dist-bench/bench/storeScale.js --database-url URL [--entries 1000000] [--files-entries 100000]
  [--files-dir DIR] [--reads 2000] [--concurrency 64] [--keep]
Loads N entries into PostgreSQL (URL: an empty gateway database, e.g. bench/scripts/pg-up.mjs) and
--files-entries into a files store (either 0 skips that store), and prints per store: load time, bytes per entry,
read p50/p99 outside L1, one sweeper pass. One JSON line per store on stdout.`;

interface StoreFigures {
  store: string;
  entries: number;
  loadSeconds: number;
  entriesPerSecond: number;
  bytesPerEntry: number;
  readMs: { p50: number; p99: number };
  sweepSeconds: number;
  evicted: number;
}

/** Deterministic rows: a seeded generator, prose windows, random unit vectors. */
class Rows {
  private seed = 7;
  private readonly prose = ['README.md', 'docs/operations.md', 'BENCHMARKS.md'].map((f) => readFileSync(path.join(REPO, f), 'utf8')).join(' ').replace(/\s+/g, ' ');

  entry(i: number): Entry {
    const at = Math.floor(this.random() * (this.prose.length - 1000));
    const v = Array.from({ length: 384 }, () => this.gauss());
    const norm = Math.hypot(...v);
    return {
      version: 1, tenant: tenantOf(i), key: i.toString(16).padStart(64, '0'), context: 'c'.repeat(64), model: 'gpt-4o-mini', createdAt: Date.now(),
      semanticText: `Question ${i}: how should I look after my home network over the next few months?`,
      embedding: v.map((x) => Math.fround(x / norm)),
      response: {
        id: `chatcmpl-${i}`, object: 'chat.completion', created: 1_765_000_000, model: 'gpt-4o-mini',
        choices: [{ index: 0, message: { role: 'assistant', content: this.prose.slice(at, at + 900) }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 24, completion_tokens: 210, total_tokens: 234 },
      },
    };
  }

  random(): number {
    this.seed = (this.seed * 1103515245 + 12345) % 2147483648;
    return this.seed / 2147483648;
  }

  private gauss(): number {
    return Math.sqrt(-2 * Math.log(this.random() + 1e-12)) * Math.cos(2 * Math.PI * this.random());
  }
}

const tenantOf = (i: number) => `b0b0b0b0b0b0b0${(i % TENANTS).toString(16).padStart(2, '0')}`;

async function load(store: EntryStore, n: number, concurrency: number): Promise<number> {
  const rows = new Rows();
  const t0 = performance.now();
  let next = 0;
  let reported = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = next++; i < n; i = next++) {
      await store.write(rows.entry(i));
      if (i - reported >= 100_000) (reported = i), process.stderr.write(`  ${i.toLocaleString('en-US')} written, ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
    }
  }));
  return (performance.now() - t0) / 1000;
}

async function reads(store: EntryStore, n: number, count: number): Promise<{ p50: number; p99: number }> {
  const rows = new Rows();
  const ms: number[] = [];
  for (let r = 0; r < count; r++) {
    const i = Math.floor(rows.random() * n);
    const t = performance.now();
    if (!(await store.read(tenantOf(i), i.toString(16).padStart(64, '0')))) throw new Error(`entry ${i} not read back`);
    ms.push(performance.now() - t);
  }
  const { p50, p99 } = percentiles(ms);
  return { p50: round(p50), p99: round(p99) };
}

async function sweep(store: EntryStore, n: number): Promise<{ seconds: number; evicted: number }> {
  const sweeper = new Sweeper({ store, index: new MemoryIndex(), expiry: NEVER_EXPIRES, maxEntries: n - EVICT, metrics: new Metrics(), log: pino({ level: 'silent' }) });
  const t0 = performance.now();
  const report = await sweeper.sweep();
  return { seconds: round((performance.now() - t0) / 1000), evicted: report.evicted };
}

async function measure(name: string, store: EntryStore, n: number, options: { reads: number; concurrency: number }, bytes: () => Promise<number>): Promise<StoreFigures> {
  process.stderr.write(`${name}: loading ${n.toLocaleString('en-US')} entries (${options.concurrency} at once)\n`);
  const loadSeconds = await load(store, n, options.concurrency);
  const bytesPerEntry = Math.round((await bytes()) / n);
  const readMs = await reads(store, n, options.reads);
  const swept = await sweep(store, n);
  return { store: name, entries: n, loadSeconds: round(loadSeconds), entriesPerSecond: Math.round(n / loadSeconds), bytesPerEntry, readMs, sweepSeconds: swept.seconds, evicted: swept.evicted };
}

async function postgres(url: string, n: number, options: { reads: number; concurrency: number; keep: boolean }): Promise<StoreFigures> {
  const db = new Database(url, undefined, { max: Math.min(20, options.concurrency) });
  try {
    await db.migrate();
    const { rows } = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM (SELECT 1 FROM entries LIMIT 1) t');
    if (Number(rows[0]!.n) > 0) throw new Error('the entries table is not empty: give a throwaway database (bench/scripts/pg-up.mjs)');
    const size = async () => {
      await db.pool.query('VACUUM ANALYZE entries');
      return Number((await db.pool.query<{ total: string }>("SELECT pg_total_relation_size('entries') AS total")).rows[0]!.total);
    };
    const figures = await measure('postgres', new PgEntryStore(db), n, options, size);
    if (!options.keep) await db.pool.query('TRUNCATE entries');
    return figures;
  } finally {
    await db.close();
  }
}

async function files(dir: string | undefined, n: number, options: { reads: number; concurrency: number; keep: boolean }): Promise<StoreFigures> {
  const root = dir ?? mkdtempSync(path.join(os.tmpdir(), 'reflex-store-scale-'));
  try {
    const du = async () => Number(execFileSync('du', ['-sk', root], { encoding: 'utf8' }).split('\t')[0]) * 1024;
    return await measure('files', new FileEntryStore(root), n, options, du);
  } finally {
    if (!options.keep) rmSync(root, { recursive: true, force: true });
  }
}

const round = (x: number) => Math.round(x * 1000) / 1000;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'database-url': { type: 'string' }, entries: { type: 'string', default: '1000000' }, 'files-entries': { type: 'string', default: '100000' },
      'files-dir': { type: 'string' }, reads: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '64' }, keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || (!values['database-url'] && Number(values.entries) > 0)) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const options = { reads: Number(values.reads), concurrency: Number(values.concurrency), keep: values.keep };
  console.error(`machine: ${os.cpus().length} cores, node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  if (Number(values.entries) > 0) console.log(JSON.stringify(await postgres(values['database-url']!, Number(values.entries), options)));
  if (Number(values['files-entries']) > 0) console.log(JSON.stringify(await files(values['files-dir'], Number(values['files-entries']), options)));
  console.error(`load average at the end ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
