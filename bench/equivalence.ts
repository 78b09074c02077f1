/**
 * Equivalence classes of questions from labelled duplicate pairs: the
 * connected components of the positive pairs (union-find). Two questions ask
 * the same thing exactly when they share a class — how the audit harness
 * (issue 28) decides, without judging, whether a semantic hit was right.
 */
import type { Pair } from '../src/ops/eval/pairs';

export class Equivalence {
  private readonly parent = new Map<string, string>();

  constructor(pairs: readonly Pair[]) {
    for (const p of pairs) {
      this.find(p.a);
      this.find(p.b);
      if (p.label === 1) this.parent.set(this.find(p.a), this.find(p.b));
    }
  }

  /** The class of a question (a representative member); a question never seen is a class of its own. */
  find(q: string): string {
    let root = q;
    for (let next = this.parent.get(root); next !== undefined && next !== root; next = this.parent.get(root)) root = next;
    if (!this.parent.has(q)) this.parent.set(q, q);
    for (let x = q, next = this.parent.get(x)!; next !== root; x = next, next = this.parent.get(x)!) this.parent.set(x, root);
    return root;
  }

  same(a: string, b: string): boolean {
    return this.find(a) === this.find(b);
  }
}
