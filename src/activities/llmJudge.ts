/**
 * The LLM judge (REFLEX_AUDIT_JUDGE=llm): the audited request's own model,
 * through the same provider and with the same credentials, asked a strict
 * yes/no question — does the served answer say what the fresh one says, for
 * this question? Anything but a clear "yes" counts as different: a judge
 * that hedges must not pass a wrong hit. It costs a second provider call per
 * audit, which is why it is not the default (BENCHMARKS.md, "Judges").
 */
import type { AnswerPair, Judge, JudgeCall, Judgement } from '../cache/l3/judge/judge';
import type { Provider } from '../provider/provider';
import { answerText } from '../wire/answerText';

const INSTRUCTIONS = [
  'You compare two answers to the same question.',
  'Reply with exactly one word: "yes" if answer B gives the same information as answer A for this question',
  '(same facts, numbers, names and conclusion; wording may differ), otherwise "no".',
  'If answer B answers a different question, or you are unsure, reply "no".',
].join(' ');

export class LlmJudge implements Judge {
  readonly kind = 'llm';
  constructor(private readonly provider: Provider) {}

  async judge(pair: AnswerPair, call?: JudgeCall): Promise<Judgement> {
    if (!call?.model) throw new Error('the LLM judge needs the audited request\'s model');
    const request = {
      model: call.model,
      temperature: 0,
      max_tokens: 3,
      messages: [
        { role: 'system', content: INSTRUCTIONS },
        { role: 'user', content: `Question: ${pair.question}\n\nAnswer A: ${pair.fresh}\n\nAnswer B: ${pair.served}\n\nSame information?` },
      ],
    };
    const said = (answerText(await this.provider.complete(request, call.apiKey)) ?? '').trim().toLowerCase();
    const same = /^yes\b/.test(said);
    return { same, score: same ? 1 : 0 };
  }
}
