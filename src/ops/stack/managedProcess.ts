/**
 * A child process the embedded stack owns: started in its own process group,
 * logging straight to a file, stopped (whole group, TERM then KILL) on request
 * or when the parent exits, so nothing is left running.
 *
 * "When the parent exits" includes `kill -9`, where no exit handler runs. Linux
 * has prctl(PR_SET_PDEATHSIG) for that, but Node cannot call it, and a pidfile
 * that the next start reads can only clean up after the fact (and must guess
 * whether a recorded pid was reused). Instead each child runs under a tiny
 * /bin/sh watchdog that shares its process group and holds the read end of a
 * pipe whose only write end is this process's: the kernel closes that end
 * whenever this process dies, however it dies, the watchdog's read returns
 * EOF, and it sends the group TERM, then KILL after a grace period. The child
 * itself is `exec`ed by the same shell, so its pid, exit status and signals
 * are the real program's. The child writes its output to the log file
 * directly (not through a pipe to us), so our death never breaks its stdout.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  logFile: string;
}

const GRACE_S = 5;

// fd 3 keeps the pipe (a background list's stdin would be /dev/null); the
// watchdog ignores TERM so its own group signal cannot stop it before the KILL.
const WATCHDOG = [
  'exec 3<&0 0</dev/null',
  `(trap '' TERM INT HUP; while read -r _ <&3; do :; done; kill -TERM 0; sleep ${GRACE_S}; kill -KILL 0) &`,
  'exec "$@" 3<&-',
].join('\n');

const running = new Set<ManagedProcess>();

export class ManagedProcess {
  private exited: Promise<void>;

  private constructor(readonly spec: ProcessSpec, private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    running.add(this);
    void this.exited.then(() => running.delete(this));
  }

  static start(spec: ProcessSpec): ManagedProcess {
    mkdirSync(path.dirname(spec.logFile), { recursive: true });
    const log = openSync(spec.logFile, 'a');
    try {
      const child = spawn('/bin/sh', ['-c', WATCHDOG, spec.name, spec.command, ...spec.args], {
        cwd: spec.cwd,
        env: spec.env ?? process.env,
        detached: true,
        stdio: ['pipe', log, log],
      });
      child.stdin?.on('error', () => undefined); // the group is gone; nothing to tell
      return new ManagedProcess(spec, child);
    } finally {
      closeSync(log);
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(graceMs = GRACE_S * 1000): Promise<void> {
    if (!this.alive) return;
    this.child.stdin?.destroy(); // the watchdog's cue; it also ends itself after the grace period
    signalGroup(this.child, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(this.child, 'SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Resolves when the process exits; rejects nothing. */
  whenExited(): Promise<void> {
    return this.exited;
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

/** Synchronous last resort on a normal parent exit: kill every group we started. */
process.once('exit', () => {
  for (const p of running) if (p.pid) try { process.kill(-p.pid, 'SIGKILL'); } catch { /* already gone */ }
});

/** Waits until something accepts TCP connections on host:port, or the process dies, or the timeout passes. */
export async function waitForPort(host: string, port: number, timeoutMs: number, owner?: ManagedProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (owner && !owner.alive) throw new Error(`${owner.spec.name} exited during start; see ${owner.spec.logFile}`);
    if (await canConnect(host, port)) return;
    await sleep(200);
  }
  throw new Error(`nothing listening on ${host}:${port} after ${timeoutMs} ms`);
}

/**
 * Refuses to start a service whose port is taken: we would otherwise wait on,
 * and then use, a stranger. A crashed predecessor's children are given their
 * watchdog's grace period to go first.
 */
export async function assertPortFree(name: string, host: string, port: number): Promise<void> {
  const deadline = Date.now() + (GRACE_S + 2) * 1000;
  while (await canConnect(host, port)) {
    if (Date.now() > deadline) throw new Error(`${name}: ${host}:${port} is already in use; stop what listens there or choose another port`);
    await sleep(250);
  }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export function splitAddress(address: string): { host: string; port: number } {
  const idx = address.lastIndexOf(':');
  return { host: address.slice(0, idx) || '127.0.0.1', port: Number(address.slice(idx + 1)) };
}

/**
 * A loopback port nothing listens on right now (for tests and benchmarks that
 * start their own stack), chosen below the kernel's ephemeral range: a port
 * the OS hands out for "any free port" comes from that range, and the
 * processes started after the pick do ask for such ports (the Temporal dev
 * server binds five of its own besides the ones it is given), so a pick from
 * it could be taken before its process binds it. Random within the range
 * below, so concurrent test files rarely try the same one; the OS's choice if
 * none of the tries is free.
 */
export async function freePort(): Promise<number> {
  const high = ephemeralLow() - 1;
  const low = Math.max(1024, high - 12_000);
  for (let tries = 0; tries < 50; tries++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    // Never the same port twice to one process: the first may not be bound yet.
    if (handedOut.has(port) || !(await canBind(port))) continue;
    handedOut.add(port);
    return port;
  }
  return listenOn(0);
}

const handedOut = new Set<number>();

/** The low end of the kernel's ephemeral port range (Linux; 32768 where it cannot be read). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 2048 ? low : 32768;
  } catch {
    return 32768;
  }
}

const canBind = (port: number) => listenOn(port).then(() => true, () => false);

function listenOn(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as net.AddressInfo;
      server.close(() => resolve(bound));
    });
  });
}
