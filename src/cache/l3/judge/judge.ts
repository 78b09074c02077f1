/**
 * An audit's judge (issue 28): does the answer a semantic hit served say
 * what a fresh answer to the asked question says? The cheap judges are pure
 * (the answers' embeddings, the cross-encoder on the answer pair); the LLM
 * judge asks the provider (src/activities/llmJudge.ts). Which one audits is
 * REFLEX_AUDIT_JUDGE; their agreement with labelled answer pairs is in
 * BENCHMARKS.md.
 */
export type JudgeKind = 'embedding' | 'model' | 'llm';

export interface AnswerPair {
  /** The question that was asked (the hit's semantic text). */
  question: string;
  /** The text of the answer the hit served (another question's answer). */
  served: string;
  /** The text of the provider's fresh answer to the asked question. */
  fresh: string;
}

/** Who pays a judge that asks the provider: the audited request's model and credentials. */
export interface JudgeCall {
  model: string;
  apiKey?: string;
}

export interface Judgement {
  /** The two answers say the same thing: the hit was right. */
  same: boolean;
  /** The judge's own number (a cosine, a probability; 1 or 0 for a yes/no judge). */
  score: number;
}

export interface Judge {
  readonly kind: JudgeKind;
  judge(pair: AnswerPair, call?: JudgeCall): Promise<Judgement>;
}
