/**
 * Every `reflex` command, its options and their defaults, declared in one
 * place. Declaring and parsing touch nothing: configuration is loaded (and
 * validated) and a command's module imported only once its action runs, so
 * `--help`, `--version` and usage errors are quick and never start a process,
 * read REFLEX_* or contact Temporal.
 */
import { Command, InvalidArgumentError } from 'commander';
import ms from 'ms';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { loadConfig, type Config } from '../config';
import { exitOnUsage, ONE_LINE_ERRORS, toGatewayArgs, withGatewayEvalOptions } from '../ops/eval/args';
import type { RoleCommand } from './commands/roles';

const ROLE_COMMANDS: Record<RoleCommand, string> = {
  start: 'the all-in-one default (what `npm start` runs): embedded Temporal dev server + Milvus Lite + worker + API',
  serve: 'worker + API against an existing Temporal and Milvus',
  api: 'the HTTP API only',
  worker: 'the fill worker (and the expiry/eviction sweeper) only',
};

function storeKind(value: string): 'files' | 'postgres' {
  if (value !== 'files' && value !== 'postgres') throw new InvalidArgumentError('expected files or postgres');
  return value;
}

export function buildProgram(): Command {
  // Settings made before .command() are inherited by every command.
  const program = new Command('reflex')
    .description('OpenAI-compatible caching gateway. Settings are REFLEX_* environment variables (see README).')
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride(exitOnUsage)
    .configureOutput(ONE_LINE_ERRORS);

  for (const [name, description] of Object.entries(ROLE_COMMANDS)) {
    program.command(name).description(description).action(withConfig(async (config, log) => (await import('./commands/roles.js')).runRoles(name as RoleCommand, config, log)));
  }

  program
    .command('replay')
    .description('finish failed fills from their stored entries (Temporal only; never calls the provider)')
    .option('--since <duration>', 'only fills that closed within this window, e.g. 30m, 24h, 7d (default: all)', duration)
    .option('--dry-run', 'list what would be replayed, change nothing', false)
    .action(withConfig(async (config, log, opts: { since?: number; dryRun: boolean }) =>
      (await import('./commands/replay.js')).replayCommand(config, log, { sinceMs: opts.since, dryRun: opts.dryRun })));

  program
    .command('reindex')
    .description('rebuild the Milvus collection from the entry store (resumable)')
    .option('--restart', 'ignore the checkpoint and start from the first entry', false)
    .option('--reembed', 'embed every entry again instead of reusing stored vectors', false)
    .action(withConfig(async (config, log, opts: { restart: boolean; reembed: boolean }) => (await import('./commands/reindex.js')).reindexCommand(config, log, opts)));

  const keys = program.command('keys').description('gateway keys, on the key store (REFLEX_KEYS_PATH, or REFLEX_DATABASE_URL) directly: no running gateway or admin token needed');
  keys
    .command('create')
    .description('create a key and print it (the secret is shown this once)')
    .requiredOption('--name <name>', 'a label for people')
    .option('--namespace <namespace>', 'the cache it reads and writes; keys with one namespace share hits (default: its own)')
    .option('--rpm <n>', 'requests per minute, per API replica (default: unlimited)', positiveInt)
    .option('--model <id>', 'allow only this model (repeat for more; default: all)', (id: string, ids: string[] = []) => [...ids, id])
    .option('--expires-in <seconds>', 'expire this many seconds from now (default: never)', positiveInt)
    .option('--expires-at <iso>', 'expire at this ISO-8601 time (default: never)')
    .action(withConfig(async (config, _log, opts: import('./commands/keys').CreateKeyOptions) => (await import('./commands/keys.js')).createKey(config, opts)));
  keys
    .command('list')
    .description('every key with its settings and tenant id (no secrets)')
    .action(withConfig(async (config) => (await import('./commands/keys.js')).listKeys(config)));
  keys
    .command('revoke')
    .description('delete a key: it stops working at once on every replica')
    .argument('<id>', 'the key id (key_...)')
    .action(async (id: string) => (await import('./commands/keys.js')).revokeKey(loadConfig(), id));

  program
    .command('migrate')
    .description('apply the PostgreSQL schema (REFLEX_DATABASE_URL); API replicas also apply it at start')
    .action(async () => (await import('./commands/migrate.js')).migrateCommand(loadConfig()));

  program
    .command('migrate-store')
    .description('copy entries, outbox, stored embeddings and keys between files and PostgreSQL (REFLEX_DATABASE_URL); idempotent, resumable, never calls the provider')
    .requiredOption('--from <kind>', 'files or postgres', storeKind)
    .requiredOption('--to <kind>', 'files or postgres', storeKind)
    .option('--restart', 'ignore a checkpoint and start over', false)
    .action(async (opts: { from: 'files' | 'postgres'; to: 'files' | 'postgres'; restart: boolean }) =>
      (await import('./commands/migrateStore.js')).migrateStoreCommand(loadConfig(), opts));

  program
    .command('audit')
    .description('audits of semantic hits (REFLEX_AUDIT_RATE)')
    .command('report')
    .description('wrong-hit rate of audited semantic hits with its 95% upper bound, per tenant and overall, from the verdict store')
    .option('--json', 'print JSON', false)
    .action(withConfig(async (config, _log, opts: { json: boolean }) => (await import('./commands/audit.js')).auditReport(config, opts)));

  withGatewayEvalOptions(program.command('eval').description('hit quality of a running gateway on labelled pairs (loopback only)'))
    .action(async (opts: Record<string, unknown>) => (await import('./commands/eval.js')).evalCommand(toGatewayArgs(opts)));

  return program;
}

/** The action, given the validated configuration and a logger; a bad setting throws ConfigError here, not earlier. */
function withConfig<O>(action: (config: Config, log: Logger, opts: O) => Promise<void>): (opts: O) => Promise<void> {
  return async (opts) => {
    const config = loadConfig();
    const { createLogger } = await import('../services.js');
    return action(config, createLogger(config), opts);
  };
}

function positiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function duration(text: string): number {
  const parsed = ms(text as ms.StringValue);
  if (typeof parsed !== 'number' || !(parsed > 0)) throw new InvalidArgumentError('expected a duration such as 30m, 24h or 7d');
  return parsed;
}

/** Read at run time: package.json sits outside the compiled tree (src/cli and dist/cli are both two levels down). */
function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
}
