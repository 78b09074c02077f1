/**
 * The audit judges' agreement with labelled answer pairs (issue 28):
 *   node dist-bench/bench/judges.js [--pairs test/data/answer-pairs.jsonl]
 * Each pair is two answers to one question, labelled same (1) or different
 * (0). Every cheap judge (the answers' embeddings, the cross-encoder on the
 * answer pair; each with the L3 guards and without) scores every pair; the
 * report gives, per judge, the agreement at the threshold that agrees best
 * on all pairs (in-sample: the pairs chose it) and the agreement of
 * leave-one-out thresholds (each pair judged at the threshold the other 62
 * chose: the honest figure), and how it errs: wrong answers judged right
 * (a wrong hit missed) and right answers judged wrong. The LLM judge cannot
 * be measured here (no LLM is reachable from this machine).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CrossEncoder, type PairScorer } from '../src/cache/l3/crossEncoder';
import { OnnxEmbedder } from '../src/cache/embedding/onnxEmbedder';
import { CrossEncoderJudge, EmbeddingJudge } from '../src/cache/l3/judge/cheapJudges';
import type { AnswerPair } from '../src/cache/l3/judge/judge';
import { DEFAULT_GUARDS, guardsByName } from '../src/cache/l3/guards';
import { scriptArgs } from './scriptArgs';

interface Labelled extends AnswerPair {
  same: boolean;
  kind: string;
}

interface Scored {
  score: number;
  vetoed: boolean;
  same: boolean;
  kind: string;
}

function load(file: string): Labelled[] {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((line) => {
    const p = JSON.parse(line) as { question: string; a: string; b: string; same: 0 | 1; kind: string };
    return { question: p.question, served: p.b, fresh: p.a, same: p.same === 1, kind: p.kind };
  });
}

const agrees = (s: Scored, t: number) => (s.score >= t && !s.vetoed) === s.same;

/** The threshold (between observed scores) that agrees with the most labels; ties go to the stricter one. */
function bestThreshold(scored: readonly Scored[]): number {
  const candidates = [...new Set(scored.map((s) => s.score))].sort((a, b) => a - b);
  let best = { t: Infinity, right: scored.filter((s) => agrees(s, Infinity)).length };
  for (const t of candidates) {
    const right = scored.filter((s) => agrees(s, t)).length;
    if (right > best.right || (right === best.right && t > best.t)) best = { t, right };
  }
  return best.t;
}

function report(name: string, scored: Scored[]): void {
  const t = bestThreshold(scored);
  const inSample = scored.filter((s) => agrees(s, t)).length;
  const loo = scored.filter((s, i) => agrees(s, bestThreshold(scored.filter((_, j) => j !== i)))).length;
  const missedWrong = scored.filter((s) => !s.same && agrees(s, t) === false);
  const falseWrong = scored.filter((s) => s.same && !agrees(s, t));
  const kinds = [...new Set(missedWrong.map((s) => s.kind))].join(', ') || '—';
  const pct = (n: number) => `${((100 * n) / scored.length).toFixed(1)}% (${n}/${scored.length})`;
  console.log(`| ${name} | ${Number.isFinite(t) ? t.toFixed(3) : 'never'} | ${pct(inSample)} | ${pct(loo)} | ${missedWrong.length} (${kinds}) | ${falseWrong.length} |`);
}

async function main(): Promise<void> {
  const { values } = scriptArgs(process.argv.slice(2), {
    summary: "The audit judges' agreement with labelled answer pairs (in-sample and leave-one-out).",
    options: {
      pairs: { type: 'string', default: 'test/data/answer-pairs.jsonl', description: 'labelled answer pairs (question, a, b, same, kind)' },
      'model-path': { type: 'string', default: '.reflex/models', description: 'the embedding model folder' },
      'model-name': { type: 'string', default: 'all-MiniLM-L6-v2', description: 'the embedding model' },
    },
  });
  const pairs = load(values.pairs!);
  const embedder = await OnnxEmbedder.load(values['model-path']!, values['model-name']!);
  const encoder: PairScorer = await CrossEncoder.load(path.resolve('models'));
  const guards = guardsByName(DEFAULT_GUARDS);
  console.log(`${pairs.length} answer pairs (${pairs.filter((p) => p.same).length} same, ${pairs.filter((p) => !p.same).length} different)\n`);
  console.log('| judge | threshold (chosen on all pairs) | agreement, in-sample | agreement, leave-one-out | wrong judged right (kinds) | right judged wrong |');
  console.log('|---|---|---|---|---|---|');
  const judges = [
    ['embedding cosine', new EmbeddingJudge(embedder, 0, [])],
    ['embedding cosine + guards', new EmbeddingJudge(embedder, 0, guards)],
    ['cross-encoder', new CrossEncoderJudge(encoder, 0, [])],
    ['cross-encoder + guards', new CrossEncoderJudge(encoder, 0, guards)],
  ] as const;
  for (const [name, judge] of judges) {
    const scored: Scored[] = [];
    for (const p of pairs) {
      const j = await judge.judge(p);
      // Judged at threshold 0, `same` is false only where a guard vetoed.
      scored.push({ score: j.score, vetoed: !j.same, same: p.same, kind: p.kind });
    }
    report(name, scored);
  }
  console.log('\nLLM judge: not measurable here (no LLM reachable); in the harness its answer is decided by the harness upstream.');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
