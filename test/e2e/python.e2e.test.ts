/**
 * The official Python `openai` package against the real stack: runs
 * test/python with pytest from the venv `npm test`'s setup created
 * (.reflex/sdk-venv, PyPI only) and asserts every Python test passed.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { useGateway } from '../support/harness';
import { REPO } from '../support/stack';

const PYTHON = path.join(REPO, '.reflex', 'sdk-venv', 'bin', 'python');
const h = useGateway({ REFLEX_PROVIDER_MAX_ATTEMPTS: '2' });

function pytest(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(PYTHON, ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', path.join(REPO, 'test', 'python')], { env: { ...process.env, ...env }, cwd: REPO });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => resolve({ code, output }));
  });
}

test('the Python SDK suite passes against the gateway', async () => {
  expect(existsSync(PYTHON)).toBe(true); // run `bash scripts/setup.sh --sdk-tests` (npm test does)
  const result = await pytest({ REFLEX_GATEWAY_URL: h.gateway.url, REFLEX_UPSTREAM_URL: h.upstream.url });
  // On failure the whole pytest report is in the diff.
  expect({ code: result.code, failed: /\d+ failed|error/i.test(result.output.split('\n').slice(-3).join('\n')), output: result.output }).toMatchObject({ code: 0, failed: false });
  expect(Number(/(\d+) passed/.exec(result.output)?.[1])).toBe(10);
}, 180_000);
