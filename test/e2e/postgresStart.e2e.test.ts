/**
 * The test PostgreSQL (test/support/postgres.ts) starts from a checkout other
 * users cannot enter, and a server that cannot start fails its caller within
 * its deadline, saying why, with nothing left running — so a test file that
 * needs it fails instead of hanging the run. The failures use stand-in
 * binaries (shell scripts) that fail the way a real install can.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { eventually } from '../support/eventually';
import { PACKAGED_BINARIES, startPostgres } from '../support/postgres';

/** A binaries folder whose initdb and postgres are these shell scripts; reachable by any user, as the real ones are. */
function standIns(initdb: string, postgres: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'reflex-pg-standin-'));
  chmodSync(dir, 0o755);
  mkdirSync(path.join(dir, 'bin'), { mode: 0o755 });
  for (const [name, body] of [['initdb', initdb], ['postgres', postgres]] as const) writeFileSync(path.join(dir, 'bin', name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return dir;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('started from a directory no other user may enter (a clone in /root, mode 700), it serves queries, never as root', async () => {
  // As root the server runs as `nobody`, which cannot reach binaries in here; as any other user it runs as that user.
  const closed = mkdtempSync(path.join(os.tmpdir(), 'reflex-pg-700-'));
  chmodSync(closed, 0o700);
  symlinkSync(PACKAGED_BINARIES, path.join(closed, 'native'));
  const server = await startPostgres({ binaries: path.join(closed, 'native') });
  const client = new Client({ connectionString: server.url });
  try {
    await client.connect();
    // The server process's own uid, read by the server (the test's role is a superuser).
    const { rows } = await client.query<{ user: string; status: string }>("SELECT current_user AS user, pg_read_file('/proc/self/status') AS status");
    expect(rows[0]!.user).toBe('reflex');
    const uid = Number(/^Uid:\s+(\d+)/m.exec(rows[0]!.status)![1]);
    expect(uid).not.toBe(0);
    if (process.getuid!() !== 0) expect(uid).toBe(process.getuid!());
  } finally {
    await client.end();
    await server.stop();
  }
}, 120_000);

test('initdb failing: rejected at once with its message', async () => {
  const bin = standIns('[ "$1" = --version ] && exit 0; echo "initdb: cannot create directory: Permission denied" >&2; exit 1', 'exit 1');
  const started = Date.now();
  await expect(startPostgres({ binaries: bin })).rejects.toThrow(/initdb failed: initdb: cannot create directory: Permission denied/);
  expect(Date.now() - started).toBeLessThan(10_000);
});

test('the server exiting at start: rejected at once with its output', async () => {
  const bin = standIns('exit 0', 'echo "FATAL:  could not load library" >&2; exit 1');
  const started = Date.now();
  await expect(startPostgres({ binaries: bin })).rejects.toThrow(/postgres exited \(1\): FATAL: {2}could not load library/);
  expect(Date.now() - started).toBeLessThan(10_000);
});

test('no server binary: rejected at once, naming it', async () => {
  const bin = standIns('exit 0', 'exit 0');
  unlinkSync(path.join(bin, 'bin', 'postgres'));
  await expect(startPostgres({ binaries: bin })).rejects.toThrow(/postgres did not start: spawn .*\/bin\/postgres ENOENT/);
});

test('a server that never accepts connections: rejected at its deadline, and stopped', async () => {
  const bin = standIns('exit 0', `echo $$ > "${os.tmpdir()}/reflex-pg-standin-$PPID.pid"; exec sleep 600`);
  const started = Date.now();
  await expect(startPostgres({ binaries: bin, startMs: 1_500 })).rejects.toThrow(/postgres accepting connections: not within 1500 ms/);
  expect(Date.now() - started).toBeLessThan(15_000);
  const pid = Number(readFileSync(path.join(os.tmpdir(), `reflex-pg-standin-${process.pid}.pid`), 'utf8'));
  await eventually(() => !alive(pid), { ms: 5_000, what: `the stand-in server (pid ${pid}) stopped` });
});
