/**
 * Exact repeats in keys mode, a key without a limit against a key with one,
 * rounds alternating in one run on one gateway:
 *   node dist-bench/bench/keysLane.js [--seconds 5] [--rounds 3] [--connections 32] [--database-url postgres://…]
 * Starts the embedded default (`reflex start`, mock provider) with
 * REFLEX_AUTH=keys, creates both keys in one namespace through the admin API
 * (so they share the one cached entry), primes it, then repeats it. The limit
 * (1,000,000 a minute) is never reached: what is measured is the cost of
 * counting, and every answer must be a 200 with the key's x-ratelimit headers.
 * With --database-url the gateway keeps its state in that PostgreSQL (keys as
 * an in-memory map, the limit counted there: one upsert per limited request).
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { FillWaiter } from '../src/ops/eval/fillWaiter';
import { startEmbeddedGateway } from './gatewayProcess';
import { load, LoadResult } from './load';
import { post } from './post';
import { processCpu } from './procCpu';
import { scriptArgs } from './scriptArgs';

const ADMIN = 'reflex-bench-admin';
const BODY = JSON.stringify({ model: 'bench-model', messages: [{ role: 'user', content: 'How do I reset the password of my home router?' }] });
const fmt = (n: number, d = 0) => n.toFixed(d);

async function createKey(url: string, options: object): Promise<string> {
  const res = await fetch(`${url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(options) });
  if (res.status !== 201) throw new Error(`creating a key: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { key: string }).key;
}

const headersFor = (secret: string) => ({ 'content-type': 'application/json', authorization: `Bearer ${secret}` });

/** Asks until the entry is an L1 hit for this key; returns the hit's x-ratelimit-limit-requests header. */
async function prime(url: string, secret: string, waiter: FillWaiter): Promise<string | null> {
  let res = await post(`${url}/v1/chat/completions`, BODY, headersFor(secret));
  if (res.header('x-reflex-status') === 'MISS') {
    await waiter.wait(res.header('x-reflex-fill-id') ?? undefined);
    res = await post(`${url}/v1/chat/completions`, BODY, headersFor(secret));
  }
  if (res.header('x-reflex-status') !== 'HIT_L1_EXACT') throw new Error(`not an L1 hit: ${res.status} ${res.header('x-reflex-status')}`);
  return res.header('x-ratelimit-limit-requests');
}

interface Measured extends LoadResult {
  cpuUs: number;
}

async function main(): Promise<void> {
  const { values } = scriptArgs(process.argv.slice(2), {
    summary: 'Exact repeats in keys mode: a key without a rate limit against a key with one, rounds alternating on one embedded gateway.',
    options: {
      seconds: { type: 'string', default: '5', description: 'length of each measured run' },
      rounds: { type: 'string', default: '3', description: 'alternating rounds' },
      connections: { type: 'string', default: '32', description: 'concurrent connections' },
      'database-url': { type: 'string', description: 'keep the gateway\'s state (keys, the limit\'s count) in this PostgreSQL' },
    },
  });
  const [seconds, rounds, connections] = [Number(values.seconds), Number(values.rounds), Number(values.connections)];
  console.log(`machine: ${os.cpus().length} cores, node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const secret = () => randomBytes(32).toString('base64');
  const database: Record<string, string> = values['database-url']
    ? { REFLEX_DATABASE_URL: values['database-url'], REFLEX_TENANT_SECRET: secret(), REFLEX_TOKEN_KEY: secret(), REFLEX_PAYLOAD_KEY: secret() }
    : {};
  console.log(`state: ${values['database-url'] ? 'PostgreSQL' : 'files'}`);
  const gateway = await startEmbeddedGateway({ env: { REFLEX_AUTH: 'keys', REFLEX_ADMIN_TOKEN: ADMIN, ...database } });
  const waiter = await FillWaiter.connect(gateway.temporalAddress, 'default', 2_000, (l) => console.log(l));
  try {
    const keys = {
      unlimited: await createKey(gateway.url, { name: 'bench-unlimited', namespace: 'bench' }),
      limited: await createKey(gateway.url, { name: 'bench-limited', namespace: 'bench', rate_limit: { requests_per_minute: 1_000_000 } }),
    };
    const limitHeader = { unlimited: await prime(gateway.url, keys.unlimited, waiter), limited: await prime(gateway.url, keys.limited, waiter) };
    if (limitHeader.unlimited !== null || limitHeader.limited !== '1000000') throw new Error(`unexpected x-ratelimit-limit-requests: ${JSON.stringify(limitHeader)}`);
    const run = async (secret: string, s: number): Promise<Measured> => {
      const cpu0 = processCpu(gateway.pid);
      const r = await load({ url: `${gateway.url}/v1/chat/completions`, body: BODY, headers: headersFor(secret), connections, seconds: s });
      return { ...r, cpuUs: ((processCpu(gateway.pid) - cpu0) * 1000) / r.requests };
    };
    await run(keys.unlimited, 2);
    await run(keys.limited, 2);
    const out: Record<'unlimited' | 'limited', Measured[]> = { unlimited: [], limited: [] };
    console.log(`keys mode, exact repeats, ${connections} connections, ${rounds} × ${seconds} s each, alternating`);
    for (let i = 0; i < rounds; i++) {
      for (const name of ['unlimited', 'limited'] as const) out[name].push(await run(keys[name], seconds));
      const [u, l] = [out.unlimited[i]!, out.limited[i]!];
      console.log(`  round ${i + 1}: no limit ${fmt(u.rps)} req/s p50 ${u.p50} ms ${fmt(u.cpuUs)} µs CPU/req | limited ${fmt(l.rps)} req/s p50 ${l.p50} ms ${fmt(l.cpuUs)} µs CPU/req | ratio ${fmt(l.rps / u.rps, 2)} | load ${os.loadavg()[0]!.toFixed(1)}`);
    }
    const mean = (rs: Measured[], f: (r: Measured) => number) => rs.reduce((s, r) => s + f(r), 0) / rs.length;
    const bad = [...out.unlimited, ...out.limited].reduce((s, r) => s + r.non2xx + r.errors, 0);
    console.log(`  mean: no limit ${fmt(mean(out.unlimited, (r) => r.rps))} req/s, limited ${fmt(mean(out.limited, (r) => r.rps))} req/s, ratio ${fmt(mean(out.limited, (r) => r.rps) / mean(out.unlimited, (r) => r.rps), 2)}; ${bad} non-2xx or errors`);
    if (bad > 0) process.exitCode = 1;
  } finally {
    await waiter.close();
    await gateway.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
