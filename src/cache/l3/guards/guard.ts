/**
 * A structural guard looks at the two question texts only and reports a
 * conflict the embedding is known to miss (numbers, negation, names...).
 * Its name is the verdict reason, so logs and eval reports say which fired.
 */
export interface Guard {
  readonly name: string;
  conflict(query: string, candidate: string): boolean;
}
