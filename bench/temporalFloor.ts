/**
 * The floor under the miss path: what update-with-start costs on this machine
 * with nothing else in it, rerunnable:
 *   node dist-bench/bench/temporalFloor.js [--n 50] [--gap-ms 100] [--after-steps 1] [--watchdog-ms 0] [--start update|eager]
 * Starts the embedded stack's own Temporal dev server (same flags as `reflex
 * start`) and a worker running bench/floor/workflow.ts, whose
 * `answer` update returns a local activity's result (no provider, no blob,
 * no embedding), then runs `--after-steps` 15 ms activities as a fill's store
 * and index steps do. Prints the client's update-with-start latency and the
 * first workflow task's scheduled→started (dispatch) and started→completed
 * (worker) times from each run's history, and the time until the local
 * activity's answer reached this process (the gateway's AnswerBoard path).
 * `--watchdog-ms 5000` restores the SDK's per-call sandbox watchdog
 * (REFLEX_WORKFLOW_WATCHDOG_MS). `--start eager` starts each run with a plain
 * eager start on the worker's own connection instead (no update, no
 * matching): what an in-process eager path could reach.
 */
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../src/ops/stack/managedProcess';
import { startTemporal } from '../src/ops/stack/temporal';
import * as activities from './floor/activities';
import { board } from './floor/activities';
import { percentiles } from './load';
import { scriptArgs } from './scriptArgs';

const REPO = path.resolve(__dirname, '../..'); // dist-bench/bench → the repository

const fmt = (all: number[]) => {
  const xs = all.filter(Number.isFinite);
  if (!xs.length) return 'n/a';
  const { p50, p95 } = percentiles(xs);
  return `p50 ${p50.toFixed(1)} ms  p95 ${p95.toFixed(1)} ms`;
};

async function main(): Promise<void> {
  const { values } = scriptArgs(process.argv.slice(2), {
    summary: 'The floor under the miss path: what update-with-start costs on this machine with nothing else in it.',
    options: {
      n: { type: 'string', default: '50', description: 'workflow runs' },
      'gap-ms': { type: 'string', default: '100', description: 'pause between runs' },
      'after-steps': { type: 'string', default: '1', description: '15 ms activities after the answer, as a fill\'s store and index' },
      'watchdog-ms': { type: 'string', default: '0', description: 'the SDK\'s per-call sandbox watchdog (0: none; 5000 restores its default)' },
      start: { type: 'string', default: 'update', description: 'update (update-with-start) or eager (a plain eager start on the worker\'s connection)' },
    },
  });
  const eager = values.start === 'eager';
  const n = Number(values.n);
  const gap = Number(values['gap-ms']);
  const after = Number(values['after-steps']);
  const watchdog = Number(values['watchdog-ms']);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'reflex-floor-'));
  const address = `127.0.0.1:${await freePort()}`;
  const temporal = await startTemporal({ venv: path.join(REPO, '.reflex', 'venv'), address, uiPort: 0, headless: true, dataDir, namespace: 'default' });
  const native = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection: native,
    taskQueue: 'floor',
    workflowsPath: require.resolve('./floor/workflow'),
    activities,
    // Read as "no watchdog" only with patches/@temporalio+worker applied.
    ...{ isolateExecutionTimeout: watchdog },
  });
  const running = worker.run();
  // Eager start needs the client on the worker's own connection.
  const client = new Client({ connection: eager ? native : await Connection.connect({ address }) });
  const latency: number[] = [];
  const answered: number[] = [];
  const dispatch: number[] = [];
  const work: number[] = [];
  const warmup = 10;
  for (let i = 0; i < n + warmup; i++) {
    const workflowId = `floor-${i}`;
    const options = { workflowId, taskQueue: 'floor', args: [`q${i}`, after] as [string, number], workflowIdConflictPolicy: 'USE_EXISTING' as const };
    const posted = board.wait(workflowId);
    const t0 = performance.now();
    const started = eager
      ? client.workflow.start('floorWorkflow', { ...options, requestEagerStart: true })
      : client.workflow.executeUpdateWithStart('answer', { startWorkflowOperation: new WithStartWorkflowOperation('floorWorkflow', options) });
    await posted.answer;
    const tAnswer = performance.now() - t0;
    await started;
    if (i >= warmup) {
      answered.push(tAnswer);
      latency.push(performance.now() - t0);
      const [d, w] = await firstTaskTimes(client, workflowId);
      dispatch.push(d);
      work.push(w);
    }
    await sleep(gap);
  }
  console.log(`${eager ? 'eager start' : 'update-with-start'} floor: n=${n}, gap ${gap} ms, ${after} activities after the answer, watchdog ${watchdog || 'off'}`);
  console.log(`  answer in this process       ${fmt(answered)}`);
  console.log(`  ${eager ? 'start call                 ' : 'update-with-start          '}   ${fmt(latency)}`);
  console.log(`  first task scheduled→started ${fmt(dispatch)}`);
  console.log(`  first task started→completed ${fmt(work)}`);
  worker.shutdown();
  await running;
  await temporal.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

async function firstTaskTimes(client: Client, workflowId: string): Promise<[number, number]> {
  const events = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const at = (kind: 'workflowTaskScheduledEventAttributes' | 'workflowTaskStartedEventAttributes' | 'workflowTaskCompletedEventAttributes') => {
    const time = events.find((e) => e[kind])?.eventTime;
    // An eagerly started run's first task is handed out with the start: it has no such events to time.
    return time ? Number(time.seconds ?? 0) * 1000 + (time.nanos ?? 0) / 1e6 : NaN;
  };
  return [at('workflowTaskStartedEventAttributes') - at('workflowTaskScheduledEventAttributes'), at('workflowTaskCompletedEventAttributes') - at('workflowTaskStartedEventAttributes')];
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
