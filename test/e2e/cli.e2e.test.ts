/**
 * The built `reflex` command line: help, version and usage errors answer at
 * once and touch nothing (no config, no Temporal, no model); a usage error
 * exits 2 with one line on stderr, a bad setting exits 1 with the config
 * message. The same holds for every script, benchmarks included.
 */
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { CliResult, runReflex } from '../support/cli';
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

/** Every command and subcommand, as `reflex --help` (and each command's own help) lists them. */
async function allCommands(prefix: string[] = []): Promise<string[][]> {
  const help = (await runReflex([...prefix, '--help'])).stdout;
  const listed = help.split('Commands:\n')[1]?.split('\n').flatMap((line) => /^ {2}([a-z][a-z-]*)\b/.exec(line)?.[1] ?? []) ?? [];
  const commands = listed.filter((name) => name !== 'help').map((name) => [...prefix, name]);
  return [...commands, ...(await Promise.all(commands.map((c) => allCommands(c)))).flat()];
}

test('every command and subcommand has its own --help, even with an invalid configuration; an unknown option is one line and exit 2', async () => {
  const commands = await allCommands();
  expect(commands.map((c) => c.join(' '))).toEqual(expect.arrayContaining([...COMMANDS, 'migrate', 'migrate-store', 'keys create', 'keys list', 'keys revoke']));
  await eachLimited(commands, async (command) => {
    const help = await runReflex([...command, '--help'], { REFLEX_PORT: 'not-a-port' }, undefined, 30_000);
    expect({ command, code: help.code, stderr: help.stderr }).toEqual({ command, code: 0, stderr: '' });
    expect(help.stdout).toContain(`Usage: reflex ${command.join(' ')}`);
    expectUsageError(await runReflex([...command, '--no-such-option'], {}, undefined, 30_000), command.join(' '));
  });
});

/**
 * The scripts: every benchmark (dist-bench/bench, bench/scripts) and every
 * product script (the offline eval under dist/ops/eval) that reads its
 * command line. They answer as reflex does (bench/scriptArgs.ts).
 */
function allScripts(): string[] {
  const under = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? under(path.join(dir, e.name)) : /\.m?js$/.test(e.name) ? [path.join(dir, e.name)] : []));
  const helper = path.join(REPO, 'dist-bench', 'bench', 'scriptArgs.js');
  const roots = [path.join(REPO, 'dist-bench', 'bench'), path.join(REPO, 'dist', 'ops', 'eval'), path.join(REPO, 'bench', 'scripts')];
  return roots.flatMap(under).filter((f) => f !== helper && /process\.argv/.test(readFileSync(f, 'utf8')));
}

test('every script and benchmark answers --help with its usage and exit 0, and an unknown option with one line and exit 2', async () => {
  const scripts = allScripts();
  const names = scripts.map((s) => path.relative(REPO, s));
  expect(names).toEqual(expect.arrayContaining(['dist-bench/bench/missLoad.js', 'dist-bench/bench/bareKoa.js', 'dist/ops/eval/offline.js', 'bench/scripts/pg-storage-size.mjs']));
  await eachLimited(scripts, async (script) => {
    const run = (args: string[]) => runReflex(args, {}, path.relative(path.join(REPO, 'dist'), script), 30_000);
    const help = await run(['--help']);
    expect({ script, code: help.code, stderr: help.stderr }).toEqual({ script, code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: \S+ \[options\]/);
    expect(help.stdout).toMatch(/--help/);
    expectUsageError(await run(['--no-such-option']), script);
  });
});

function expectUsageError(r: CliResult, what: string): void {
  expect({ what, code: r.code, stdout: r.stdout }).toEqual({ what, code: 2, stdout: '' });
  // One line naming the problem (a missing required option is reported first), no stack trace.
  expect(r.stderr).toMatch(/^[^\n]*('--no-such-option'|required option)[^\n]* \(add --help for usage\)\n$/);
}

/** Runs `fn` over `items`, four at a time (each starts a node process). */
async function eachLimited<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: 4 }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
  }));
}

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
  const script = path.join('ops', 'eval', 'offline.js');
  const help = await runReflex(['--help'], {}, script);
  expect(help.code).toBe(0);
  expect(help.stdout).toMatch(/--threshold <t>[\s\S]*REFLEX_SIMILARITY_THRESHOLD\s+\(default: 0\.964\)/);
  const bad = await runReflex(['--pairs', 'x', '--threshold', '1.5'], {}, script);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/--threshold <t>' argument '1\.5' is invalid/);
});
