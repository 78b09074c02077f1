/**
 * Mixed stream + JSON callers asking the same new prompts at about the same
 * time: does any prompt reach the provider twice, or any caller get another
 * prompt's answer?
 *   node dist-bench/bench/integrity.js [--prompts 500] [--clients 16] [--stream-share 0.25]
 *        [--upstream-ms 200] [--jitter-ms 300] [--runs 3] [--seed 1]
 * Starts an OpenAI-compatible upstream that counts calls per question, and the
 * embedded default in front of it. Every client walks the same prompt list,
 * waiting a random 0..jitter ms before each prompt, so the requests for one
 * prompt arrive spread around the moment its answer lands. A share of the
 * clients stream. Each run uses prompts of its own. Exit code 1 on any
 * double-paid prompt or wrong answer.
 */
import os from 'node:os';
import { prng } from '../src/ops/eval/pairs';
import { startEmbeddedGateway } from './gatewayProcess';
import { chatBody, newQuestion } from './prompts';
import { startUpstream } from './upstream';
import { scriptArgs } from './scriptArgs';

/** The answer's text, from a JSON completion or from the content deltas of an SSE stream. */
async function ask(url: string, question: string, stream: boolean): Promise<{ status: number; text: string }> {
  const body = stream ? JSON.stringify({ ...JSON.parse(chatBody(question)), stream: true }) : chatBody(question);
  const res = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const raw = await res.text();
  if (res.status !== 200) return { status: res.status, text: raw };
  if (!stream) return { status: 200, text: (JSON.parse(raw) as { choices: { message: { content: string } }[] }).choices[0]!.message.content };
  const deltas = raw
    .split('\n')
    .filter((l) => l.startsWith('data: ') && l !== 'data: [DONE]')
    .map((l) => (JSON.parse(l.slice(6)) as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta?.content ?? '');
  return { status: 200, text: deltas.join('') };
}

interface RunResult {
  requests: number;
  doublePaid: string[];
  wrong: number;
  failed: number;
}

async function run(url: string, tag: string, o: { prompts: number; clients: number; streamShare: number; jitterMs: number; seed: number }, calls: () => ReadonlyMap<string, number>): Promise<RunResult> {
  const questions = Array.from({ length: o.prompts }, (_, i) => newQuestion(tag, i));
  const streamers = Math.round(o.clients * o.streamShare);
  const result: RunResult = { requests: 0, doublePaid: [], wrong: 0, failed: 0 };
  const client = async (c: number) => {
    const next = prng(o.seed * 1000 + c);
    for (const q of questions) {
      await new Promise((r) => setTimeout(r, next() * o.jitterMs));
      const answer = await ask(url, q, c < streamers).catch((err: unknown) => ({ status: 0, text: String(err) }));
      result.requests++;
      if (answer.status !== 200) result.failed++;
      else if (answer.text !== `Answer to: ${q}`) result.wrong++;
    }
  };
  await Promise.all(Array.from({ length: o.clients }, (_, c) => client(c)));
  result.doublePaid = questions.filter((q) => (calls().get(q) ?? 0) > 1);
  return result;
}

async function main(): Promise<void> {
  const { values } = scriptArgs(process.argv.slice(2), {
    summary: 'Mixed stream and JSON callers asking the same new prompts at about the same time: exit 1 on any prompt paid twice or any wrong answer.',
    options: {
      prompts: { type: 'string', default: '500', description: 'new prompts per run' },
      clients: { type: 'string', default: '16', description: 'callers walking the prompt list' },
      'stream-share': { type: 'string', default: '0.25', description: 'share of the callers that stream' },
      'upstream-ms': { type: 'string', default: '200', description: 'how long the upstream takes to answer' },
      'jitter-ms': { type: 'string', default: '300', description: 'random wait of each caller before each prompt, at most' },
      runs: { type: 'string', default: '3', description: 'runs, each with prompts of its own' },
      seed: { type: 'string', default: '1', description: 'random seed' },
    },
  });
  const o = { prompts: Number(values.prompts), clients: Number(values.clients), streamShare: Number(values['stream-share']), jitterMs: Number(values['jitter-ms']), seed: Number(values.seed) };
  console.log(`machine: ${os.cpus().length} cores, node ${process.version}, load average ${os.loadavg()[0]!.toFixed(1)}; ${o.prompts} prompts × ${o.clients} clients (${Math.round(o.clients * o.streamShare)} streaming), upstream ${values['upstream-ms']} ms, jitter ${o.jitterMs} ms`);
  const upstream = await startUpstream(Number(values['upstream-ms']));
  const gateway = await startEmbeddedGateway({ env: { REFLEX_MOCK_PROVIDER: '0', REFLEX_UPSTREAM_URL: upstream.url, REFLEX_UPSTREAM_API_KEY: 'bench', REFLEX_AUTH: 'none', REFLEX_LOG_LEVEL: 'warn' } });
  let bad = 0;
  try {
    for (let r = 0; r < Number(values.runs); r++) {
      const t0 = performance.now();
      const res = await run(gateway.url, `${Date.now().toString(36)}r${r}`, { ...o, seed: o.seed + r }, upstream.callsByQuestion);
      bad += res.doublePaid.length + res.wrong + res.failed;
      console.log(`run ${r + 1}: ${res.requests} requests in ${((performance.now() - t0) / 1000).toFixed(0)} s; double-paid prompts ${res.doublePaid.length}/${o.prompts}; wrong answers ${res.wrong}; failed ${res.failed}; upstream calls so far ${upstream.calls()} | load ${os.loadavg()[0]!.toFixed(1)}`);
      for (const q of res.doublePaid.slice(0, 5)) console.log(`  double-paid: ${q} (${upstream.callsByQuestion().get(q)} calls)`);
    }
  } finally {
    await gateway.stop();
    await upstream.close();
  }
  if (bad > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
