/**
 * Temporal's own logs (worker, workflow `log`, activities) as the same pino
 * JSON lines as the rest of the gateway, and one line per finished activity
 * carrying the request id that started its workflow. Arguments are never
 * logged: they hold prompts and sealed tokens.
 */
import { DefaultLogger, LogLevel, Runtime } from '@temporalio/worker';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from 'pino';
import { TOKEN_KEY_MISMATCH } from '../provider/credentials';

let installed = false;

/** Once per process, before the first worker connection. */
export function installTemporalLogger(log: Logger): void {
  if (installed) return;
  installed = true;
  const temporal = log.child({ component: 'temporal' });
  const level: LogLevel = log.isLevelEnabled('debug') ? 'DEBUG' : 'INFO';
  Runtime.install({
    logger: new DefaultLogger(level, ({ level: l, message, meta }) => {
      // The worker's own chatter (bundling, state changes) is debug; workflow and activity lines keep their level.
      const chatter = l === 'INFO' && meta?.sdkComponent === 'worker';
      const method = l === 'TRACE' || chatter ? 'debug' : (l.toLowerCase() as 'debug' | 'info' | 'warn' | 'error');
      temporal[method](meta ?? {}, message);
    }),
  });
}

export function activityLogs(log: Logger): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const { activityType, attempt, workflowExecution } = ctx.info;
        const requestId = (input.args[0] as { requestId?: unknown } | undefined)?.requestId;
        const fields = { activityType, attempt, workflowId: workflowExecution?.workflowId, ...(typeof requestId === 'string' ? { requestId } : {}) };
        const started = Date.now();
        try {
          const result = await next(input);
          log.debug({ ...fields, ms: Date.now() - started }, 'activity done');
          return result;
        } catch (err) {
          // A deployment error (not retried) is an error; a failure Temporal retries is a warning.
          const misconfigured = err instanceof ApplicationFailure && err.type === TOKEN_KEY_MISMATCH;
          log[misconfigured ? 'error' : 'warn']({ ...fields, ms: Date.now() - started, err: err instanceof Error ? err.message : String(err) }, 'activity failed');
          throw err;
        }
      },
    },
  });
}
