/** Runs a one-shot `reflex <command>` (replay, reindex) against the test stack, as an operator would. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { MODELS, REPO, TestStack, VENV } from './stack';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The JSON summary line the command prints last. */
  summary: any;
}

export function runCli(stack: TestStack, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(REPO, 'dist', 'cli', 'index.js'), ...args],
      {
        env: {
          ...process.env,
          REFLEX_HOME: stack.home,
          REFLEX_VENV: VENV,
          REFLEX_MODEL_PATH: MODELS,
          REFLEX_TEMPORAL_ADDRESS: stack.temporalAddress,
          REFLEX_MILVUS_ADDRESS: stack.milvusAddress,
          REFLEX_LOG_LEVEL: 'warn',
          ...env,
        },
        timeout: 120_000,
      },
      (err, stdout, stderr) => {
        const last = stdout.trim().split('\n').at(-1) ?? '';
        let summary: unknown;
        try {
          summary = JSON.parse(last);
        } catch {
          summary = undefined;
        }
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr, summary });
      },
    );
  });
}
