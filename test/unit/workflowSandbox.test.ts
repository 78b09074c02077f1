/**
 * patches/@temporalio+worker+1.24.0.patch (applied by `postinstall`) lets the
 * worker run workflow activations without vm's per-call watchdog thread when
 * REFLEX_WORKFLOW_WATCHDOG_MS is 0. If an install skipped the patch, the SDK
 * would still pass `timeout: 0` to vm and every fill would fail, so check the
 * installed files.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config';

const sdkFile = (name: string) =>
  readFileSync(path.join(path.dirname(require.resolve('@temporalio/worker/package.json')), 'lib', 'workflow', name), 'utf8');

describe('workflow sandbox watchdog', () => {
  it.each(['reusable-vm.js', 'vm.js'])('the installed SDK reads a 0 limit as "no timeout" (%s)', (file) => {
    const source = sdkFile(file);
    expect(source).toContain('timeout: isolateExecutionTimeoutMs > 0 ? isolateExecutionTimeoutMs : undefined');
    expect(source).not.toMatch(/timeout: isolateExecutionTimeoutMs,/);
  });

  it('is off by default and can be set', () => {
    expect(loadConfig({}).temporal.workflowWatchdogMs).toBe(0);
    expect(loadConfig({ REFLEX_WORKFLOW_WATCHDOG_MS: '5000' }).temporal.workflowWatchdogMs).toBe(5000);
    expect(() => loadConfig({ REFLEX_WORKFLOW_WATCHDOG_MS: '-1' })).toThrow();
  });
});
