/**
 * Command lines of the benchmarks and tool scripts (`node dist-bench/bench/...`,
 * `node bench/scripts/...`): node:util's parseArgs plus what it lacks, so
 * they answer as `reflex` does — `--help` prints usage built from each
 * option's description and default and exits 0; a usage error (an unknown
 * option, a missing value, a bad one the script checks) is one line on
 * stderr and exit 2, never a stack trace.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';

/** One of parseArgs' options, with what --help says about it. */
export interface ScriptOption {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
  default?: string | boolean | string[] | boolean[];
  description: string;
}

export interface ScriptSpec<O extends Record<string, ScriptOption>> {
  /** One line: what the script does. */
  summary: string;
  options: O;
  /** Positional arguments as shown in the usage line, e.g. "<response.json>"; none when absent. */
  positionals?: string;
}

const HELP = { help: { type: 'boolean', short: 'h', description: 'show this help' } } as const;

type Parsed<O> = ReturnType<typeof parseArgs<{ args: string[]; options: O & typeof HELP; allowPositionals: boolean; strict: true }>>;

/** The parsed command line (`values`, `positionals`); exits on --help and on usage errors. */
export function scriptArgs<O extends Record<string, ScriptOption>>(argv: string[], spec: ScriptSpec<O>): Parsed<O> {
  const options = { ...spec.options, ...HELP };
  try {
    const parsed = parseArgs({ args: argv, options, allowPositionals: spec.positionals !== undefined, strict: true as const });
    if ((parsed.values as { help?: boolean }).help) {
      process.stdout.write(usage(spec));
      process.exit(0);
    }
    return parsed as Parsed<O>;
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS_')) usageError((err as Error).message.split('. ')[0]!);
    throw err;
  }
}

/** Ends the script as a usage error: one line naming the problem, exit 2. */
export function usageError(problem: string): never {
  process.stderr.write(`${scriptName()}: ${problem.charAt(0).toLowerCase()}${problem.slice(1)} (add --help for usage)\n`);
  process.exit(2);
}

function usage<O extends Record<string, ScriptOption>>(spec: ScriptSpec<O>): string {
  const rows = Object.entries({ ...spec.options, ...HELP } as Record<string, ScriptOption>).map(([name, o]) => [flags(name, o), describe(o)] as const);
  const width = Math.max(...rows.map(([f]) => f.length)) + 2;
  const lines = rows.map(([f, d]) => `  ${f.padEnd(width)}${d}`);
  return `Usage: ${scriptName()} [options]${spec.positionals ? ` ${spec.positionals}` : ''}\n\n${spec.summary}\n\nOptions:\n${lines.join('\n')}\n`;
}

const flags = (name: string, o: ScriptOption) => `${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ' <value>' : ''}`;

function describe(o: ScriptOption): string {
  const fallback = Array.isArray(o.default) ? (o.default.length ? o.default.join(' ') : undefined) : o.default;
  return `${o.description}${o.multiple ? ' (repeatable)' : ''}${fallback === undefined || fallback === false ? '' : ` (default: ${fallback})`}`;
}

const scriptName = () => path.basename(process.argv[1] ?? 'script');
