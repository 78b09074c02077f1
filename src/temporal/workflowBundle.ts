/**
 * The workflow code, bundled once at build time (`npm run build` runs this
 * file) instead of by every worker at start: bundling loads webpack and
 * builds the bundle in the worker's own memory (~100 MB of a worker's RSS,
 * and seconds of CPU at each start). A worker with tracing on still bundles
 * at start, with the OpenTelemetry workflow interceptors in its bundle.
 */
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Beside the compiled workflows: dist/workflows.bundle.js. */
export const WORKFLOW_BUNDLE = path.resolve(__dirname, '..', 'workflows.bundle.js');
export const WORKFLOWS_PATH = require.resolve('../workflows');

/** What Worker.create needs for the workflow code: the prebuilt bundle when there is one. */
export function workflowCode(interceptorModules: string[]): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  if (interceptorModules.length === 0 && existsSync(WORKFLOW_BUNDLE)) return { workflowBundle: { codePath: WORKFLOW_BUNDLE } };
  return { workflowsPath: WORKFLOWS_PATH };
}

async function main(): Promise<void> {
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
  writeFileSync(WORKFLOW_BUNDLE, code);
  console.log(`workflow bundle: ${path.relative(process.cwd(), WORKFLOW_BUNDLE)} (${(code.length / 1024).toFixed(0)} KB)`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
