/** Runs `reflex <command>` from dist/ as a child process, as an operator would: alone, or against the test stack. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { MODELS, REPO, TestStack, VENV } from './stack';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The JSON summary line the command prints last. */
  summary: any;
  ms: number;
}

/** A one-shot command (replay, reindex, eval) against the test stack. */
export function runCli(stack: TestStack, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runReflex(args, {
    REFLEX_HOME: stack.home,
    REFLEX_VENV: VENV,
    REFLEX_MODEL_PATH: MODELS,
    REFLEX_TEMPORAL_ADDRESS: stack.temporalAddress,
    REFLEX_MILVUS_ADDRESS: stack.milvusAddress,
    REFLEX_LOG_LEVEL: 'warn',
    ...env,
  });
}

/** `node dist/cli/index.js ...args` (or another script under dist/) with these settings on top of the environment. */
export function runReflex(args: string[], env: Record<string, string> = {}, script = path.join('cli', 'index.js'), timeout = 120_000): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(REPO, 'dist', script), ...args], { env: { ...process.env, ...env }, timeout }, (err, stdout, stderr) => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      let summary: unknown;
      try {
        summary = JSON.parse(last);
      } catch {
        summary = undefined;
      }
      const code = err ? Number((err as { code?: number }).code ?? 1) : 0;
      resolve({ code, stdout, stderr, summary, ms: Date.now() - started });
    });
  });
}
