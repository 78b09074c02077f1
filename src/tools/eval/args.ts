/** Command-line options shared by the offline and gateway evals. */
import path from 'node:path';
import { parseArgs } from 'node:util';

export type Protocol = 'isolated' | 'corpus';

export interface EvalArgs {
  pairs: string;
  protocol: Protocol;
  limit?: number;
  offset: number;
  seed: number;
  threshold?: number;
  guards?: string[];
  candidates: number;
  topK: number;
  modelPath: string;
  modelName: string;
  sweep?: number[];
  json: boolean;
  showFalsePositives: number;
  url: string;
  temporal: string;
  namespace: string;
  concurrency: number;
}

export const DEFAULT_SWEEP = [0.7, 0.75, 0.8, 0.82, 0.84, 0.86, 0.88, 0.9, 0.92, 0.94, 0.96, 0.98];

function num(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`--${name} expects a number, got "${value}"`);
  return n;
}

export function parseEvalArgs(argv: string[]): EvalArgs {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      pairs: { type: 'string' }, protocol: { type: 'string', default: 'isolated' }, limit: { type: 'string' },
      offset: { type: 'string' }, seed: { type: 'string' }, threshold: { type: 'string' }, guards: { type: 'string' },
      candidates: { type: 'string' }, 'top-k': { type: 'string' }, 'model-path': { type: 'string' },
      'model-name': { type: 'string' }, sweep: { type: 'string' }, json: { type: 'boolean', default: false },
      url: { type: 'string' }, temporal: { type: 'string' }, namespace: { type: 'string' }, concurrency: { type: 'string' },
      'show-fp': { type: 'string' },
    },
  });
  if (!v.pairs) throw new Error('--pairs FILE is required');
  if (v.protocol !== 'isolated' && v.protocol !== 'corpus') throw new Error('--protocol must be isolated or corpus');
  const home = process.env.REFLEX_HOME ?? '.reflex';
  return {
    pairs: v.pairs,
    protocol: v.protocol,
    limit: num(v.limit, 'limit'),
    offset: num(v.offset, 'offset') ?? 0,
    seed: num(v.seed, 'seed') ?? 42,
    threshold: num(v.threshold, 'threshold'),
    guards: v.guards === undefined ? undefined : v.guards === 'none' ? [] : v.guards.split(',').filter(Boolean),
    candidates: num(v.candidates, 'candidates') ?? 16,
    topK: num(v['top-k'], 'top-k') ?? 4,
    modelPath: path.resolve(v['model-path'] ?? process.env.REFLEX_MODEL_PATH ?? path.join(home, 'models')),
    modelName: v['model-name'] ?? process.env.REFLEX_MODEL_NAME ?? 'all-MiniLM-L6-v2',
    sweep: v.sweep === undefined ? undefined : v.sweep === 'default' ? DEFAULT_SWEEP : v.sweep.split(',').map(Number),
    json: v.json ?? false,
    showFalsePositives: num(v['show-fp'], 'show-fp') ?? 0,
    url: v.url ?? 'http://127.0.0.1:8080',
    temporal: v.temporal ?? '127.0.0.1:7233',
    namespace: v.namespace ?? 'default',
    concurrency: num(v.concurrency, 'concurrency') ?? 4,
  };
}
