/**
 * Latency by tier against a running gateway (loopback only, bounded):
 *   node dist-bench/bench/hitPath.js [--url http://127.0.0.1:8080] [--temporal 127.0.0.1:7233] [--n 200]
 * Fills n distinct questions (misses, timed), waits for their fills, then
 * times exact repeats (L1) and light rewrites (L2+L3), and reports
 * percentiles per tier plus the in-process L1 cost (no HTTP).
 */
import { Client, Connection } from '@temporalio/client';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExactCache } from '../src/cache/l1/exactCache';
import { FileEntryStore } from '../src/cache/storage/fileEntryStore';
import { workflowClosed } from '../src/temporal/workflowClosed';
import { scriptArgs } from './scriptArgs';

interface Sample {
  ms: number;
  status: string;
}

const TOPICS = ['router', 'garden', 'invoice', 'kubernetes', 'passport', 'bicycle', 'mortgage', 'python', 'guitar', 'vaccine'];

async function post(url: string, content: string): Promise<Sample & { fillId: string | null }> {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer reflex-bench' },
    body: JSON.stringify({ model: 'bench-model', messages: [{ role: 'user', content }] }),
  });
  await res.arrayBuffer();
  return { ms: performance.now() - t0, status: res.headers.get('x-reflex-status') ?? String(res.status), fillId: res.headers.get('x-reflex-fill-id') };
}

function percentiles(samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!.toFixed(2);
  return `n=${s.length} p50=${at(50)} ms p95=${at(95)} ms p99=${at(99)} ms`;
}

function report(label: string, samples: Sample[], expected: string): void {
  const matching = samples.filter((s) => s.status === expected).map((s) => s.ms);
  console.log(`${label.padEnd(22)} ${matching.length ? percentiles(matching) : 'n=0'}  (${matching.length}/${samples.length} were ${expected})`);
}

async function inProcessL1(n: number): Promise<number[]> {
  const store = new FileEntryStore(mkdtempSync(path.join(os.tmpdir(), 'reflex-bench-')));
  const l1 = new ExactCache(store, n);
  const tenant = 'b'.repeat(16);
  const keys = Array.from({ length: n }, (_, i) => i.toString(16).padStart(64, '0'));
  for (const key of keys) l1.remember({ version: 1, tenant, key, context: 'c', model: 'm', createdAt: 0, semanticText: 'q', embedding: [], response: { id: key } });
  return Promise.all(keys.map(async (key) => {
    const t0 = performance.now();
    await l1.get(tenant, key);
    return performance.now() - t0;
  }));
}

async function main(): Promise<void> {
  const { values } = scriptArgs(process.argv.slice(2), {
    summary: 'Latency by tier against a running gateway (loopback only): n misses, then their exact repeats (L1) and light rewrites (L2+L3).',
    options: {
      url: { type: 'string', default: 'http://127.0.0.1:8080', description: 'the running gateway' },
      temporal: { type: 'string', default: '127.0.0.1:7233', description: 'its Temporal frontend, to await each fill' },
      n: { type: 'string', default: '200', description: 'distinct questions (at most 2000)' },
    },
  });
  const n = Math.min(Number(values.n), 2_000);
  const run = Date.now().toString(36);
  const question = (i: number) => `Question ${run} ${i}: how should I maintain my ${TOPICS[i % TOPICS.length]} over the next few months?`;
  const client = new Client({ connection: await Connection.connect({ address: values.temporal! }) });

  const misses: Sample[] = [];
  for (let i = 0; i < n; i++) {
    const r = await post(values.url!, question(i));
    misses.push(r);
    if (r.fillId) await workflowClosed(client, r.fillId);
  }
  const l1: Sample[] = [];
  const l3: Sample[] = [];
  for (let i = 0; i < n; i++) l1.push(await post(values.url!, question(i)));
  for (let i = 0; i < n; i++) l3.push(await post(values.url!, question(i).toLowerCase().replace(/[?:]/g, '')));

  report('miss (provider)', misses, 'MISS');
  report('L1 exact over HTTP', l1, 'HIT_L1_EXACT');
  report('L2+L3 over HTTP', l3, 'HIT_L3_VERIFIED');
  console.log(`${'L1 in-process'.padEnd(22)} ${percentiles(await inProcessL1(n))}`);
  await client.connection.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
