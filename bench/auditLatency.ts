/**
 * Does auditing slow semantic hits (issue 28)? Rerunnable:
 *   node dist-bench/bench/auditLatency.js [--n 200] [--rounds 30] [--block 40] [--skip 5] [--rate 0.05] [--control] [--swap] [--baseline DIR]
 * Two `reflex start` stacks side by side (mock provider), one auditing at
 * --rate and one not (--control: neither, to see what the two stacks differ
 * by alone; --swap: the auditing one started second), each filled with the
 * same n questions. Then rounds of one-at-a-time semantic hits, each text
 * asked once (a repeated one would skip the embedding): a light rewrite of a
 * stored question with one word capitalised (the model is uncased, the
 * verifier's case-exact tokens are code, not words): a block on
 * one stack, a block on the other, the order swapped each round. Only one
 * stack is asked at a time, so the idle one costs nothing; an audit's
 * background work lands in its own stack's block (the first --skip requests
 * of each block are left out, so an audit started at the end of the other
 * block does not count against this one). `--control --baseline DIR` compares
 * builds instead: the second stack runs another checkout's build. Separate runs of each setting
 * differ by 3–6 ms from minute to minute on a shared host; blocks a second
 * apart see the same host, so the per-round differences show what auditing
 * itself costs.
 */
import { percentiles } from './load';
import { post } from './post';
import { rewriteOf, storedQuestion } from './prompts';
import { startEmbeddedGateway, type BenchGateway } from './gatewayProcess';
import { scriptArgs } from './scriptArgs';

/** One chat request over the benchmarks' keep-alive client; its latency and X-Reflex-Status. */
async function ask(url: string, content: string): Promise<{ ms: number; status: string }> {
  const body = JSON.stringify({ model: 'bench-model', messages: [{ role: 'user', content }] });
  const res = await post(`${url}/v1/chat/completions`, body, { 'content-type': 'application/json', authorization: 'Bearer reflex-bench' });
  return { ms: res.ms, status: res.header('x-reflex-status') ?? String(res.status) };
}

/** The audit counters from a stack's /metrics. */
async function auditCounts(url: string): Promise<string> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith('reflex_audit_starts_total')).join('; ') || 'no audits';
}

async function main(): Promise<void> {
  const { values } = scriptArgs(process.argv.slice(2), {
    summary: 'Semantic-hit latency with and without audits, two stacks side by side, in alternated blocks.',
    options: {
      n: { type: 'string', default: '200', description: 'questions stored on each stack' },
      rounds: { type: 'string', default: '30', description: 'rounds of one block per stack' },
      block: { type: 'string', default: '40', description: 'semantic hits per block' },
      skip: { type: 'string', default: '5', description: 'hits left out at the start of each block' },
      rate: { type: 'string', default: '0.05', description: 'REFLEX_AUDIT_RATE of the auditing stack' },
      control: { type: 'boolean', default: false, description: 'neither stack audits (an A/A check of the setup)' },
      swap: { type: 'boolean', default: false, description: 'start the auditing stack second' },
      baseline: { type: 'string', description: "the not-audited stack runs this checkout's build (with --control: build against build)" },
    },
  });
  const [n, rounds, block, skip] = [Number(values.n), Number(values.rounds), Number(values.block), Number(values.skip)];
  const rate = values.control ? '0' : values.rate!;
  // No repair: a repaired rewrite would become an exact hit and leave the stream.
  const env = { REFLEX_AUTH: 'none', REFLEX_LOG_LEVEL: 'warn', REFLEX_AUDIT_DAILY_CAP: '1000000', REFLEX_AUDIT_REPAIR: '0' };
  const start = (auditRate: string, repo?: string) => startEmbeddedGateway({ env: { ...env, REFLEX_AUDIT_RATE: auditRate }, ...(repo ? { repo } : {}) });
  const [first, second] = values.swap ? [await start('0', values.baseline), await start(rate)] : [await start(rate), await start('0', values.baseline)];
  const stacks: Record<'audited' | 'plain', BenchGateway> = values.swap ? { audited: second, plain: first } : { audited: first, plain: second };
  const run = Date.now().toString(36);
  const question = (i: number) => storedQuestion(run, i);
  /** The h-th hit's text: question h mod n, lower-cased, its (h div n)-th word capitalised. */
  const rewrite = (h: number) => {
    const words = rewriteOf(question(h % n)).split(' ');
    const k = Math.floor(h / n) % words.length;
    words[k] = words[k]!.charAt(0).toUpperCase() + words[k]!.slice(1);
    return words.join(' ');
  };
  try {
    for (const stack of Object.values(stacks)) {
      for (let i = 0; i < n; i++) await ask(stack.url, question(i));
    }
    // Until the last fill is stored and indexed (its rewrite is then a semantic hit, and is not asked again).
    for (const stack of Object.values(stacks)) {
      while ((await ask(stack.url, question(n - 1).toUpperCase())).status !== 'HIT_L3_VERIFIED') await new Promise((r) => setTimeout(r, 100));
    }
    const samples = { audited: [] as number[], plain: [] as number[] };
    const differences: number[] = [];
    let other = 0;
    for (let r = 0; r < rounds; r++) {
      const order: Array<'audited' | 'plain'> = r % 2 ? ['plain', 'audited'] : ['audited', 'plain'];
      const p50 = { audited: 0, plain: 0 };
      for (const name of order) {
        const times: number[] = [];
        for (let j = 0; j < block; j++) {
          const { ms, status } = await ask(stacks[name].url, rewrite(r * block + j));
          if (status !== 'HIT_L3_VERIFIED') other++;
          else if (j >= skip) times.push(ms);
        }
        samples[name].push(...times);
        p50[name] = percentiles(times).p50;
      }
      differences.push(p50.audited - p50.plain);
    }
    const fmt = (xs: number[]) => {
      const { n: count, p50, p95, p99 } = percentiles(xs);
      return `n=${count} p50 ${p50.toFixed(2)} ms  p95 ${p95.toFixed(2)} ms  p99 ${p99.toFixed(2)} ms`;
    };
    const sorted = [...differences].sort((a, b) => a - b);
    console.log(`${values.swap ? 'auditing stack started second' : 'auditing stack started first'}; semantic hits, one at a time, ${rounds} rounds of ${block} per stack (first ${skip} of each block left out)`);
    console.log(`audited (rate ${rate})  ${fmt(samples.audited)}`);
    console.log(`not audited${values.baseline ? ` (${values.baseline})` : ''}  ${fmt(samples.plain)}`);
    console.log(`per-round p50 difference (audited − not): median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(2)} ms, quartiles ${sorted[Math.floor(sorted.length / 4)]!.toFixed(2)} / ${sorted[Math.floor((3 * sorted.length) / 4)]!.toFixed(2)} ms`);
    console.log(`answers that were not semantic hits (left out): ${other}`);
    console.log(`audits: ${await auditCounts(stacks.audited.url)}`);
  } finally {
    await Promise.all(Object.values(stacks).map((s) => s.stop()));
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
