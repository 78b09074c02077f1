/**
 * The built `reflex` command line: help, version and usage errors answer at
 * once and touch nothing (no config, no Temporal, no model); a usage error
 * exits 2, a bad setting exits 1 with the config message.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { runReflex } from '../support/cli';
import { freePort } from '../support/ports';
import { REPO } from '../support/stack';

const COMMANDS = ['start', 'serve', 'api', 'worker', 'replay', 'reindex', 'keys', 'eval'];

test('reflex --help lists every command with a description, and exits 0', async () => {
  const r = await runReflex(['--help']);
  expect(r.code).toBe(0);
  for (const name of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${name}( \\[options\\])? +\\S`, 'm'));
});

test('reflex replay --help prints usage without contacting Temporal', async () => {
  // No Temporal behind this port, only a listener counting connections: a replay that ran would connect (and fail).
  const port = await freePort();
  let connections = 0;
  const listener = net.createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(port, '127.0.0.1', resolve));
  const r = await runReflex(['replay', '--help'], { REFLEX_TEMPORAL_ADDRESS: `127.0.0.1:${port}` }, undefined, 20_000).finally(() => listener.close());
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('Usage: reflex replay');
  expect(r.stdout).toMatch(/--since <duration>/);
  expect(r.stdout).toMatch(/--dry-run [\s\S]*\(default:\s+false\)/);
  expect(r.stderr).toBe('');
  expect(connections).toBe(0);
});

test('every command has its own --help, even with an invalid configuration', async () => {
  for (const name of COMMANDS) {
    const r = await runReflex([name, '--help'], { REFLEX_PORT: 'not-a-port' });
    expect({ name, code: r.code }).toEqual({ name, code: 0 });
    expect(r.stdout).toContain(`Usage: reflex ${name}`);
  }
});

test('reflex eval --help shows defaults taken from the config schema', async () => {
  const r = await runReflex(['eval', '--help']);
  expect(r.stdout).toMatch(/--url <url>[\s\S]*default:\s+"http:\/\/127\.0\.0\.1:8080"/);
  expect(r.stdout).toMatch(/--temporal <address>[\s\S]*default:\s+"127\.0\.0\.1:7233"/);
});

test('reflex --version prints package.json version', async () => {
  const { version } = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
  const r = await runReflex(['--version']);
  expect(r.code).toBe(0);
  expect(r.stdout.trim()).toBe(version);
});

test.each([
  [['bogus'], /unknown command 'bogus'/],
  [['replay', '--bogus'], /unknown option '--bogus'/],
  [['replay', '--since', 'banana'], /--since <duration>' argument 'banana' is invalid/],
  [['eval', '--url', 'http://127.0.0.1:1'], /required option '--pairs <file>'/],
  [['eval', '--pairs', 'x', '--protocol', 'both'], /--protocol <protocol>' argument 'both' is invalid/],
])('reflex %j is a usage error: exit 2 naming the problem', async (args, message) => {
  const r = await runReflex(args);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(message);
  expect(r.stdout).toBe('');
});

test('a bad setting stops a command with the config message and exit 1', async () => {
  const r = await runReflex(['replay'], { REFLEX_TEMPORAL_NAMESPACE: '' });
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/invalid configuration:\n\s+REFLEX_TEMPORAL_NAMESPACE/);
});

test('the offline eval shares the options: --help exits 0, a threshold outside the schema exits 2', async () => {
  const script = path.join('tools', 'eval', 'offline.js');
  const help = await runReflex(['--help'], {}, script);
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/--threshold <t>[\s\S]*REFLEX_SIMILARITY_THRESHOLD\s+\(default: 0\.97\)/);
  const bad = await runReflex(['--pairs', 'x', '--threshold', '1.5'], {}, script);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/--threshold <t>' argument '1\.5' is invalid/);
});
