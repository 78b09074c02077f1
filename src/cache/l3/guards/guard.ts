/**
 * A structural guard looks at the two question texts only and reports a
 * conflict the embedding is known to miss (numbers, negation, names...).
 * Its name is the verdict reason, so logs and eval reports say which fired.
 */
export interface Guard {
  readonly name: string;
  conflict(query: string, candidate: string): boolean;
  /**
   * The cross-encoder reads this difference better than the guard: the model
   * verifier asks this guard only where it does not ask the model (at or over
   * the guards' floor). On QQP the question-word guard, asked below it too,
   * vetoed 18 pairs the model served rightly for 2 it served wrongly
   * (BENCHMARKS.md); word order and quantifiers are the others.
   */
  readonly modelReadsIt?: boolean;
}
