/**
 * CPU time from /proc (Linux): a process and its descendants (the embedded
 * default's Temporal dev server and Milvus Lite are children of the gateway),
 * each by name, and the gateway's own threads grouped by thread name, so a
 * benchmark can say where native CPU goes (ONNX Runtime, the Temporal SDK's
 * Rust core, libuv's pool) that a JavaScript profile does not show.
 */
import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS = 100;

interface Stat {
  pid: number;
  comm: string;
  ppid: number;
  cpuMs: number;
}

function stat(file: string): Stat | undefined {
  try {
    const text = readFileSync(file, 'utf8');
    const open = text.indexOf('(');
    const close = text.lastIndexOf(')');
    const fields = text.slice(close + 2).split(' ');
    return { pid: Number(text.slice(0, open)), comm: text.slice(open + 1, close), ppid: Number(fields[1]), cpuMs: ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS };
  } catch {
    return undefined;
  }
}

/** CPU ms of `root` and of each descendant, keyed by name (the root is `rootName`; children by their comm, pids merged). */
export function treeCpu(root: number, rootName = 'gateway'): Record<string, number> {
  const all = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map((d) => stat(`/proc/${d}/stat`)).filter((s): s is Stat => !!s);
  const out: Record<string, number> = {};
  const visit = (pid: number, name: string) => {
    const self = all.find((s) => s.pid === pid);
    if (!self) return;
    out[name] = (out[name] ?? 0) + self.cpuMs;
    for (const child of all.filter((s) => s.ppid === pid)) visit(child.pid, child.comm);
  };
  visit(root, rootName);
  return out;
}

/** CPU ms of each thread of `pid`, summed by thread name (the JavaScript thread is `main`; threads that did not name themselves keep `node`). */
export function threadCpu(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    const s = stat(`/proc/${pid}/task/${tid}/stat`);
    const name = s && (s.pid === pid ? 'main' : s.comm);
    if (s && name) out[name] = (out[name] ?? 0) + s.cpuMs;
  }
  return out;
}

/** b − a per key (keys of b). */
export function diff(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(b).map(([k, v]) => [k, v - (a[k] ?? 0)]));
}

/** CPU ms one process has used; NaN where /proc cannot tell. */
export const processCpu = (pid: number | undefined): number => (pid === undefined ? NaN : (stat(`/proc/${pid}/stat`)?.cpuMs ?? NaN));
