/**
 * Command-line options of the evals, declared once for `reflex eval` (the
 * gateway over HTTP) and `node dist/ops/eval/offline.js`. Options that mirror
 * a gateway setting are parsed and defaulted by the config schema itself, so
 * the eval cannot drift from what the gateway would use.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import path from 'node:path';
import { DEFAULT_GUARDS } from '../../cache/l3/guards';
import { configSchema, type Config } from '../../config';

export type Protocol = 'isolated' | 'corpus';

export interface CommonEvalArgs {
  pairs: string;
  protocol: Protocol;
  limit?: number;
  offset: number;
  seed: number;
  json: boolean;
  /** Write the precision/recall picture here (SVG). */
  plot?: string;
}

export interface OfflineArgs extends CommonEvalArgs {
  split?: { name: string; file: string };
  verifier: 'model' | 'guards';
  modelThreshold: number;
  modelFloor: number;
  verifierModelPath: string;
  sweepFloors?: number[];
  embeddingsCache?: string;
  threshold: number;
  /** undefined = the default guard set; [] = none. */
  guards?: string[];
  candidates: number;
  topK: number;
  modelPath: string;
  modelName: string;
  sweep?: number[];
  showFalsePositives: number;
}

export interface GatewayArgs extends CommonEvalArgs {
  url: string;
  temporal: string;
  namespace: string;
  concurrency: number;
  /** X-Reflex-Threshold values to ask every pair at (only-if-cached), for the curve. */
  sweep?: number[];
}

export const DEFAULT_SWEEP = [0.7, 0.75, 0.8, 0.82, 0.84, 0.86, 0.88, 0.9, 0.92, 0.94, 0.96, 0.98];
/** The gateway refuses X-Reflex-Threshold outside [REFLEX_THRESHOLD_MIN, MAX] (default [0.8, 1]). */
export const DEFAULT_GATEWAY_SWEEP = [0.8, 0.82, 0.84, 0.86, 0.88, 0.9, 0.92, 0.94, 0.96, 0.98];
/** p(duplicate) thresholds of the model verifier, swept when a plot needs a curve and none was asked for. */
export const DEFAULT_MODEL_SWEEP = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95];

/** The gateway's configuration with nothing set (REFLEX_HOME aside, which places the model). */
const gatewayDefaults = (): Config => configSchema.parse({ REFLEX_HOME: process.env.REFLEX_HOME });

/** The data folder of a gateway with this REFLEX_HOME: where --plot leaves the dashboard its copy. */
export const gatewayDataDir = (): string => gatewayDefaults().dataDir;

/** An option whose value is the REFLEX_* setting `variable` would take: same validation, same default. */
function mirrored<T>(flags: string, description: string, variable: string, pick: (c: Config) => T): Option {
  const option = new Option(flags, `${description}; same rule as ${variable}`).argParser((value: string) => {
    const parsed = configSchema.safeParse({ [variable]: value });
    if (!parsed.success) throw new InvalidArgumentError(parsed.error.issues.map((i) => i.message).join('; '));
    return pick(parsed.data);
  });
  const fallback = pick(gatewayDefaults());
  return fallback === undefined ? option : option.default(fallback);
}

function integer(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer >= ${min}`);
    return n;
  };
}

function thresholds(value: string): number[] {
  if (value === 'default') return DEFAULT_SWEEP;
  const list = value.split(',').map(Number);
  if (list.some((t) => !Number.isFinite(t) || t < -1 || t > 1)) throw new InvalidArgumentError('expected "default" or a comma list of thresholds in [-1, 1]');
  return list;
}

function gatewayThresholds(value: string): number[] {
  return value === 'default' ? DEFAULT_GATEWAY_SWEEP : thresholds(value);
}

function url(value: string): string {
  try {
    new URL(value);
    return value;
  } catch {
    throw new InvalidArgumentError('expected a URL such as http://127.0.0.1:8080');
  }
}

/** Which pairs, how they are stored, and the output format: shared by both evals. */
export function withCommonEvalOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--pairs <file>', 'labelled pairs, JSON lines ({a, b, label})')
    .addOption(new Option('--protocol <protocol>', 'isolated: each pair in its own tenant; corpus: every a stored first, in one tenant').choices(['isolated', 'corpus']).default('isolated'))
    .option('--limit <n>', 'evaluate at most n pairs (default: all)', integer(1))
    .option('--offset <n>', 'skip the first n pairs of the shuffled set', integer(0), 0)
    .option('--seed <n>', 'shuffle seed', integer(0), 42)
    .option('--json', 'print the result as JSON', false)
    .option('--plot <file.svg>', 'also draw precision and recall over the threshold, operating point marked (SVG)');
}

export function withOfflineEvalOptions(cmd: Command): Command {
  return withCommonEvalOptions(cmd)
    .addOption(new Option('--split <name>', 'evaluate only this slice of --splits (e.g. tune, eval)'))
    .option('--splits <file>', 'splits.json with 0-based line numbers per slice', 'training/verifier/splits.json')
    .addOption(mirrored('--verifier <kind>', 'L3: model (cross-encoder) or guards (cosine floor + guards)', 'REFLEX_VERIFIER', (x) => x.verifier.kind))
    .addOption(mirrored('--model-threshold <p>', 'model verifier: p(duplicate) to serve', 'REFLEX_VERIFIER_THRESHOLD', (x) => x.verifier.model.threshold))
    .addOption(mirrored('--model-floor <c>', 'model verifier: cosine shortlist floor', 'REFLEX_VERIFIER_FLOOR', (x) => x.verifier.model.floor))
    .addOption(mirrored('--verifier-model-path <dir>', 'folder holding verifier/', 'REFLEX_VERIFIER_MODEL_PATH', (x) => x.verifier.model.path).env('REFLEX_VERIFIER_MODEL_PATH'))
    .option('--embeddings-cache <file>', 'reuse embeddings across runs (a JSON file, written back; same embedding model only)')
    .option('--sweep-floors <list>', 'model verifier: sweep at each of these cosine floors (comma list)', thresholds)
    .addOption(mirrored('--threshold <t>', 'similarity threshold', 'REFLEX_SIMILARITY_THRESHOLD', (x) => x.similarityThreshold))
    .addOption(mirrored('--guards <list>', `verifier guards, a comma list or "none" (default: ${DEFAULT_GUARDS.join(',')})`, 'REFLEX_VERIFIER_GUARDS', (x) => x.verifierGuards))
    .addOption(mirrored('--candidates <n>', 'sign-bit shortlist size', 'REFLEX_L2_CANDIDATES', (x) => x.l2.candidates))
    .addOption(mirrored('--top-k <n>', 'candidates rescored and verified', 'REFLEX_L2_TOP_K', (x) => x.l2.topK))
    .addOption(mirrored('--model-path <dir>', 'embedding model folder', 'REFLEX_MODEL_PATH', (x) => x.model.path).env('REFLEX_MODEL_PATH'))
    .addOption(mirrored('--model-name <name>', 'embedding model', 'REFLEX_MODEL_NAME', (x) => x.model.name).env('REFLEX_MODEL_NAME'))
    .option('--sweep <list>', 'also score these thresholds (comma list, or "default")', thresholds)
    .option('--show-fp <n>', 'list the first n false positives', integer(0), 0);
}

export function withGatewayEvalOptions(cmd: Command): Command {
  const c = gatewayDefaults();
  return withCommonEvalOptions(cmd)
    .option('--url <url>', 'the running gateway (loopback only)', url, `http://${c.bindAddr}:${c.port}`)
    .addOption(mirrored('--temporal <address>', 'Temporal frontend, to await each fill', 'REFLEX_TEMPORAL_ADDRESS', (x) => x.temporal.address))
    .addOption(mirrored('--namespace <name>', 'Temporal namespace', 'REFLEX_TEMPORAL_NAMESPACE', (x) => x.temporal.namespace))
    .option('--concurrency <n>', 'requests in flight', integer(1), 4)
    .option('--sweep <list>', 'also ask every pair at these X-Reflex-Threshold values, only-if-cached (comma list, or "default"; --plot sweeps the default)', gatewayThresholds);
}

type Parsed = Record<string, unknown>;

function common(o: Parsed): CommonEvalArgs {
  const plot = o.plot === undefined ? {} : { plot: path.resolve(o.plot as string) };
  return { pairs: o.pairs as string, protocol: o.protocol as Protocol, limit: o.limit as number | undefined, offset: o.offset as number, seed: o.seed as number, json: o.json as boolean, ...plot };
}

export function toOfflineArgs(o: Parsed): OfflineArgs {
  return {
    ...common(o),
    split: o.split === undefined ? undefined : { name: o.split as string, file: path.resolve(o.splits as string) },
    verifier: o.verifier as 'model' | 'guards',
    modelThreshold: o.modelThreshold as number,
    modelFloor: o.modelFloor as number,
    verifierModelPath: path.resolve(o.verifierModelPath as string),
    sweepFloors: o.sweepFloors as number[] | undefined,
    embeddingsCache: o.embeddingsCache === undefined ? undefined : path.resolve(o.embeddingsCache as string),
    threshold: o.threshold as number,
    guards: o.guards as string[] | undefined,
    candidates: o.candidates as number,
    topK: o.topK as number,
    modelPath: path.resolve(o.modelPath as string),
    modelName: o.modelName as string,
    sweep: o.sweep as number[] | undefined,
    showFalsePositives: o.showFp as number,
  };
}

export function toGatewayArgs(o: Parsed): GatewayArgs {
  const sweep = (o.sweep as number[] | undefined) ?? (o.plot === undefined ? undefined : DEFAULT_GATEWAY_SWEEP);
  return { ...common(o), url: o.url as string, temporal: o.temporal as string, namespace: o.namespace as string, concurrency: o.concurrency as number, ...(sweep ? { sweep } : {}) };
}

/** For the standalone scripts: usage errors print and exit 2, --help exits 0, as `reflex` does. */
export function parseOfflineArgs(argv: string[], name = 'offline.js'): OfflineArgs {
  return toOfflineArgs(withOfflineEvalOptions(standalone(name, 'offline hit-quality eval: the L1/L2/L3 decision in-process')).parse(argv, { from: 'user' }).opts());
}

export function parseGatewayArgs(argv: string[], name = 'gateway.js'): GatewayArgs {
  return toGatewayArgs(withGatewayEvalOptions(standalone(name, 'hit quality of a running gateway over HTTP')).parse(argv, { from: 'user' }).opts());
}

function standalone(name: string, description: string): Command {
  return new Command(name).description(description).exitOverride(exitOnUsage).configureOutput(ONE_LINE_ERRORS);
}

/**
 * A usage error on one line, with the hint, as the scripts print theirs
 * (bench/scriptArgs.ts): commander would put the hint, and a "Did you
 * mean" suggestion, on lines of their own.
 */
export const ONE_LINE_ERRORS = {
  outputError: (text: string, write: (s: string) => void) => write(`${text.trim().replace(/\s*\n\s*/g, ' ')} (add --help for usage)\n`),
};

/** Commander has printed help, the version or a usage error: 0 for the first two, 2 (a usage error) otherwise. */
export function exitOnUsage(err: CommanderError): never {
  process.exit(err.exitCode === 0 ? 0 : 2);
}
