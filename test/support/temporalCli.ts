/** `temporal workflow show --output json` with the project's own Temporal CLI, as an operator runs it. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { VENV } from './stack';

export const ENCRYPTED_METADATA = Buffer.from('binary/encrypted').toString('base64');

export interface Shown {
  /** The CLI's output as printed. */
  raw: string;
  /** The output plus every payload's data as text (the CLI prints payload data base64). */
  text: string;
}

export async function workflowShow(address: string, workflowId: string, ...flags: string[]): Promise<Shown> {
  const { stdout } = await promisify(execFile)(path.join(VENV, 'bin', 'temporal'), ['workflow', 'show', '-w', workflowId, '--output', 'json', '--address', address, ...flags]);
  const data: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    if (o.metadata && typeof o.data === 'string') data.push(Buffer.from(o.data, 'base64').toString('utf8'));
    Object.values(o).forEach(walk);
  };
  walk(JSON.parse(stdout));
  return { raw: stdout, text: [stdout, ...data].join('\n') };
}

/** `temporal workflow describe --output json`: where the CLI prints a workflow's summary and details. */
export async function workflowDescribe(address: string, workflowId: string, ...flags: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(path.join(VENV, 'bin', 'temporal'), ['workflow', 'describe', '-w', workflowId, '--output', 'json', '--address', address, ...flags]);
  return stdout;
}
