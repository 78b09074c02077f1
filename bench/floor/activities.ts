import { activityInfo } from '@temporalio/activity';
import { setTimeout as sleep } from 'node:timers/promises';
import { AnswerBoard } from '../../src/activities/answerBoard';

/** The bench waits here for each run's answer, as the gateway's miss path does (src/activities/answerBoard.ts). */
export const board = new AnswerBoard();

/** Stands in for the provider call: no I/O, so only Temporal's own cost remains. Posts its answer in-process. */
export async function reply(question: string): Promise<string> {
  const answer = `answer to ${question}`;
  const fill = activityInfo().workflowExecution?.workflowId;
  if (fill) board.post(fill, { answerRef: fill, answer: { id: answer } });
  return answer;
}

/** Stands in for a store/index step: 15 ms of waiting, no CPU. */
export async function work(ms: number): Promise<void> {
  await sleep(ms);
}
