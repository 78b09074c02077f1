/**
 * A child process the embedded stack owns: started in its own process group,
 * logged to a file, stopped (whole group, TERM then KILL) on request or when
 * the parent exits, so nothing is left running.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
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
    const log = createWriteStream(spec.logFile, { flags: 'a' });
    const child = spawn(spec.command, spec.args, { cwd: spec.cwd, env: spec.env ?? process.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    return new ManagedProcess(spec, child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(graceMs = 5_000): Promise<void> {
    if (!this.alive) return;
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

/** Synchronous last resort on parent exit: kill every group we started. */
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

/** Refuses to start a service whose port is taken: we would otherwise wait on, and then use, a stranger. */
export async function assertPortFree(name: string, host: string, port: number): Promise<void> {
  if (await canConnect(host, port)) throw new Error(`${name}: ${host}:${port} is already in use; stop what listens there or choose another port`);
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

/** A loopback port nothing listens on right now (for tests and benchmarks that start their own stack). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
