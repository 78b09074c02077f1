/**
 * patches/@temporalio+worker+1.24.0.patch (applied by `postinstall`) lets the
 * worker run workflow activations without vm's per-call watchdog thread when
 * REFLEX_WORKFLOW_WATCHDOG_MS is 0. Without the patch the SDK would pass
 * `timeout: 0` to vm and every activation would throw, so the worker checks
 * the installed SDK and keeps the SDK's own bound when it is unpatched.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { promiseStackTraces, sandboxWatchdog, sdkReadsZeroAsNoTimeout } from '../../src/temporal/worker';

describe('workflow sandbox watchdog', () => {
  it('the installed SDK carries the patch (both vm creators)', () => {
    expect(sdkReadsZeroAsNoTimeout()).toBe(true);
    const vm = readFileSync(path.join(path.dirname(require.resolve('@temporalio/worker/package.json')), 'lib', 'workflow', 'vm.js'), 'utf8');
    expect(vm).not.toMatch(/timeout: isolateExecutionTimeoutMs,/);
  });

  it('0 means no watchdog on a patched SDK, the SDK default (with a warning) on an unpatched one, and a value is kept', () => {
    const log = { warn: jest.fn() };
    expect(sandboxWatchdog(0, log, () => true)).toEqual({ isolateExecutionTimeout: 0 });
    expect(log.warn).not.toHaveBeenCalled();
    expect(sandboxWatchdog(0, log, () => false)).toEqual({});
    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(sandboxWatchdog(5000, log, () => false)).toEqual({ isolateExecutionTimeout: 5000 });
  });

  it('is off by default and can be set', () => {
    expect(loadConfig({}).temporal.workflowWatchdogMs).toBe(0);
    expect(loadConfig({ REFLEX_WORKFLOW_WATCHDOG_MS: '5000' }).temporal.workflowWatchdogMs).toBe(5000);
    expect(() => loadConfig({ REFLEX_WORKFLOW_WATCHDOG_MS: '-1' })).toThrow();
  });
});

describe('workflow promise stack traces (REFLEX_WORKFLOW_STACK_TRACES)', () => {
  /** Whether the SDK's workflow-thread hooks install the promise hook, in a fresh process with `env` (a workflow thread inherits the worker's). */
  const hookInstalled = (env: Record<string, string>) => {
    const script = "const { globalHandlers } = require('@temporalio/worker/lib/workflow/vm-shared'); globalHandlers.install(); process.stdout.write(String(globalHandlers.promiseHookInstalled));";
    const { stdout, status } = spawnSync(process.execPath, ['-e', script], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', cwd: path.resolve(__dirname, '../..') });
    expect(status).toBe(0);
    return stdout;
  };

  it('the patched SDK skips the promise hook when the worker turns it off, and installs it otherwise', () => {
    expect(hookInstalled({ TEMPORAL_WORKFLOW_PROMISE_STACK_TRACES: '0' })).toBe('false');
    expect(hookInstalled({})).toBe('true');
  });

  it('off by default: the worker sets the variable its workflow threads read (and warns on an unpatched SDK); on clears it', () => {
    expect(loadConfig({}).temporal.workflowStackTraces).toBe(false);
    const log = { warn: jest.fn() };
    promiseStackTraces(false, log, () => true);
    expect(process.env.TEMPORAL_WORKFLOW_PROMISE_STACK_TRACES).toBe('0');
    expect(log.warn).not.toHaveBeenCalled();
    promiseStackTraces(false, log, () => false);
    expect(log.warn).toHaveBeenCalledTimes(1);
    promiseStackTraces(true, log);
    expect(process.env.TEMPORAL_WORKFLOW_PROMISE_STACK_TRACES).toBeUndefined();
  });
});
