/**
 * The judges that cost no provider call. Both read the two answers the way
 * L3 reads two questions: a similarity (the answers' embeddings' cosine, or
 * the cross-encoder's p on the answer pair) and the structural guards, which
 * veto what similarity misses — "366 days" against "365 days", "Canberra"
 * against "Sydney", "Yes" against "No". Thresholds were chosen on
 * test/data/answer-pairs.jsonl (BENCHMARKS.md, "Judges").
 */
import { cosine } from '../../embedding/cosine';
import type { Embedder } from '../../embedding/embedder';
import type { PairScorer } from '../crossEncoder';
import type { Guard } from '../guards';
import type { AnswerPair, Judge, Judgement, JudgeKind } from './judge';

abstract class GuardedJudge implements Judge {
  abstract readonly kind: JudgeKind;
  constructor(
    protected readonly threshold: number,
    private readonly guards: readonly Guard[],
  ) {}

  async judge(pair: AnswerPair): Promise<Judgement> {
    const score = await this.similarity(pair.served, pair.fresh);
    const veto = this.guards.some((g) => g.conflict(pair.fresh, pair.served));
    return { same: score >= this.threshold && !veto, score };
  }

  protected abstract similarity(a: string, b: string): Promise<number>;
}

/** Cosine of the two answers' embeddings, behind the guards: free where the gateway already embeds. */
export class EmbeddingJudge extends GuardedJudge {
  readonly kind = 'embedding';
  constructor(private readonly embedder: Embedder, threshold: number, guards: readonly Guard[]) {
    super(threshold, guards);
  }

  protected async similarity(a: string, b: string): Promise<number> {
    const [x, y] = await Promise.all([this.embedder.embed(a), this.embedder.embed(b)]);
    return cosine(x, y);
  }
}

/** The L3 cross-encoder (models/verifier) on the answer pair, behind the guards. */
export class CrossEncoderJudge extends GuardedJudge {
  readonly kind = 'model';
  constructor(private readonly scorer: PairScorer, threshold: number, guards: readonly Guard[]) {
    super(threshold, guards);
  }

  protected similarity(a: string, b: string): Promise<number> {
    return this.scorer.score(a, b);
  }
}
