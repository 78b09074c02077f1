/**
 * Where a fill's answer meets the API request waiting for it when the worker
 * runs in the same process (`reflex start`, `reflex serve`). The provider call
 * is the fill's first local activity; it writes the answer blob and posts the
 * reference here, and the waiting request answers at once instead of waiting
 * for the workflow task to complete and the update's result to travel back
 * (BENCHMARKS.md, miss path). Every outcome is posted — an answer, "already
 * stored", a provider failure once it is final (not retryable, or the last
 * attempt) — so a fill started eagerly, which has no update to report it,
 * still answers. Other processes' fills and joined fills get their outcome
 * from the update.
 *
 * Wired only where both roles share a process (roles.ts, answerBoardFor).
 * The client then has its answer before the workflow task that recorded the
 * provider call is durable; if the worker or Temporal dies in that window the
 * task is replayed and the local activity runs again. obtainAnswer therefore
 * writes a per-run marker before posting here and reuses the answer it names
 * on that replay, so the provider is still paid once (the Temporal-outage e2e
 * checks the count).
 */
import type { ProviderFailure } from '../provider/failure';
import type { ChatCompletion } from '../wire/chat';

export type PostedAnswer =
  | {
      answerRef: string;
      /** The answer itself, so the waiting request need not read the blob back. */
      answer: ChatCompletion;
    }
  /** An earlier fill already stored the answer: the entry has it. */
  | { stored: true }
  /** The fill's provider call failed for good: what the client is told. */
  | { failure: ProviderFailure };

export class AnswerBoard {
  private readonly waiting = new Map<string, (posted: PostedAnswer) => void>();

  /** Waits for the answer of the fill running under `workflowId`; `cancel` when done either way. */
  wait(workflowId: string): { answer: Promise<PostedAnswer>; cancel(): void } {
    let cancel = () => {};
    const answer = new Promise<PostedAnswer>((resolve) => {
      this.waiting.set(workflowId, resolve);
      cancel = () => {
        if (this.waiting.get(workflowId) === resolve) this.waiting.delete(workflowId);
      };
    });
    return { answer, cancel };
  }

  post(workflowId: string, posted: PostedAnswer): void {
    const resolve = this.waiting.get(workflowId);
    this.waiting.delete(workflowId);
    resolve?.(posted);
  }
}
