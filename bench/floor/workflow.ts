/**
 * The smallest workflow shaped like a fill: an `answer` update that waits for
 * one local activity, then (optionally) two ordinary activities after the
 * answer, as the fill's store and index steps. Orchestration only.
 */
import { allHandlersFinished, condition, defineUpdate, proxyActivities, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type * as activities from './activities';

export const answer = defineUpdate<string>('answer');
const local = proxyLocalActivities<typeof activities>({ startToCloseTimeout: '10s' });
const remote = proxyActivities<typeof activities>({ startToCloseTimeout: '10s' });

export async function floorWorkflow(question: string, afterAnswerSteps: number): Promise<string> {
  let result: string | undefined;
  setHandler(answer, async () => {
    await condition(() => result !== undefined);
    return result!;
  });
  result = await local.reply(question);
  for (let i = 0; i < afterAnswerSteps; i++) await remote.work(15);
  await condition(allHandlersFinished);
  return result;
}
