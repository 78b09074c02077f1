/**
 * What a long prompt costs the hit path (issue 31), one request at a time:
 *   node dist-bench/bench/longPrompt.js [--words 5000] [--n 20]
 * Starts `reflex start` with the mock provider, then n times: stores a
 * document of --words words followed by a question, waits for its fill,
 * and asks a rewording of the question (served after L3 compared the
 * differing sentences) and a different question (refused: a miss, so its
 * time includes the provider call and the fill's start). Prints the p50 of
 * each and how each was answered. A short question is timed the same way
 * for comparison.
 */
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { startEmbeddedGateway } from './gatewayProcess';
import { documentOf } from './longPrompts';
import { post } from './post';

const USAGE = 'usage: node dist-bench/bench/longPrompt.js [--words N] [--n N]';

async function ask(url: string, content: string): Promise<{ ms: number; status: string }> {
  const res = await post(`${url}/v1/chat/completions`, JSON.stringify({ model: 'bench-model', messages: [{ role: 'user', content }] }), { 'content-type': 'application/json', authorization: 'Bearer long-prompt' });
  return { ms: res.ms, status: res.header('x-reflex-status') ?? `HTTP ${res.status}` };
}

const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(1);

async function timed(url: string, label: string, prefix: string, n: number): Promise<void> {
  const reworded: number[] = [];
  const near: number[] = [];
  const seen: Record<string, number> = {};
  const count = (k: string) => (seen[k] = (seen[k] ?? 0) + 1);
  for (let i = 0; i < n; i++) {
    await ask(url, `${prefix}Question ${i}: In what year was the bridge completed?`);
    await sleep(1_000); // the fill stores and indexes it
    const r = await ask(url, `${prefix}Question ${i}: In which year was the bridge completed?`);
    const m = await ask(url, `${prefix}Question ${i}: Who was the chief engineer of the bridge?`);
    reworded.push(r.ms);
    near.push(m.ms);
    count(`reworded ${r.status}`);
    count(`near ${m.status}`);
  }
  console.log(`${label}: reworded p50 ${p50(reworded)} ms, near question p50 ${p50(near)} ms ${JSON.stringify(seen)}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { words: { type: 'string', default: '5000' }, n: { type: 'string', default: '20' }, help: { type: 'boolean', default: false } } });
  if (values.help) return void console.log(USAGE);
  const gateway = await startEmbeddedGateway({ env: { REFLEX_LOG_LEVEL: 'warn' } });
  try {
    const doc = documentOf(Number(values.words));
    await timed(gateway.url, `${values.words}-word document (${doc.length} characters) then the question`, `${doc}\n\n`, Number(values.n));
    await timed(gateway.url, 'the question alone', '', Number(values.n));
  } finally {
    await gateway.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
