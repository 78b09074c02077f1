/**
 * patches/@temporalio+worker+1.24.0.patch (applied by `postinstall`) lets the
 * worker run workflow activations without vm's per-call watchdog thread when
 * REFLEX_WORKFLOW_WATCHDOG_MS is 0. Without the patch the SDK would pass
 * `timeout: 0` to vm and every activation would throw, so the worker checks
 * the installed SDK and keeps the SDK's own bound when it is unpatched.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { sandboxWatchdog, sdkReadsZeroAsNoTimeout } from '../../src/temporal/worker';

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
