/**
 * L3's first rule, and the one place it is enforced: **a semantic hit is
 * allowed only if every difference between the query and the candidate lies
 * in text the comparison saw.**
 *
 * - What differs is the two texts less the whole sentences they share at both
 *   ends (difference.ts). When they share some, the differing spans are what
 *   is judged: embedded on their own (a shared document would otherwise
 *   dominate both embeddings and make any two questions after it look alike),
 *   and handed to the guards and the cross-encoder in place of the texts.
 * - Each compared text must fit the embedding model's window, and in model mode
 *   the pair must fit the cross-encoder's (the same tokenizer and window):
 *   a span the models would cut is a miss, never a hit.
 * - Identical texts differ nowhere and need no window.
 *
 * The lookup's own embedding of the whole query (cut at the window) only
 * shortlists candidates in L2; it never decides a hit on a long text alone.
 */
import { cosine } from '../embedding/cosine';
import { readsWhole, type WindowedEmbedder } from '../embedding/embedder';
import { difference } from './difference';

export interface Compared {
  query: string;
  candidate: string;
  /** Cosine of what is compared: the whole texts' (from L2), or the differing spans' own. */
  similarity: number;
}

export type Comparison = { compared: Compared } | { refused: 'beyond_window' | 'one_sided' };

export class TextComparison {
  constructor(
    private readonly embedder: WindowedEmbedder,
    /** The verifier reads the pair at once (the cross-encoder): the pair must fit too. */
    private readonly pairs: boolean,
  ) {}

  /** What L3 must judge for this candidate, or why nothing may be judged. `similarity` is the whole texts' cosine. */
  async compare(query: string, candidate: string, similarity: number): Promise<Comparison> {
    if (query === candidate) return { compared: { query, candidate, similarity } };
    const d = difference(query, candidate);
    if (!d.query || !d.candidate) return { refused: 'one_sided' };
    if (!(await this.fits(d.query, d.candidate))) return { refused: 'beyond_window' };
    if (!d.trimmed) return { compared: { query, candidate, similarity } };
    const [a, b] = await Promise.all([this.embedder.embed(d.query), this.embedder.embed(d.candidate)]);
    return { compared: { query: d.query, candidate: d.candidate, similarity: cosine(a, b) } };
  }

  private async fits(a: string, b: string): Promise<boolean> {
    const [wholeA, wholeB] = await Promise.all([readsWhole(this.embedder, a), readsWhole(this.embedder, b)]);
    if (!wholeA || !wholeB || !this.pairs) return wholeA && wholeB;
    // "[CLS] a [SEP] b [SEP]": one special token fewer than the two texts counted alone.
    if ((a.length + b.length) * 4 + 3 <= this.embedder.window) return true;
    const [ta, tb] = await Promise.all([this.embedder.tokens(a), this.embedder.tokens(b)]);
    return ta + tb - 1 <= this.embedder.window;
  }
}
