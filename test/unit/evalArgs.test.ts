/** The evals' options that mirror gateway settings take the schema's defaults and validation, not copies. */
import { Command } from 'commander';
import { configSchema } from '../../src/config';
import path from 'node:path';
import { DEFAULT_GATEWAY_SWEEP, toGatewayArgs, toOfflineArgs, withGatewayEvalOptions, withOfflineEvalOptions } from '../../src/ops/eval/args';

const quiet = (cmd: Command) => cmd.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
const offline = (argv: string[]) => toOfflineArgs(withOfflineEvalOptions(quiet(new Command())).parse(argv, { from: 'user' }).opts());
const gateway = (argv: string[]) => toGatewayArgs(withGatewayEvalOptions(quiet(new Command())).parse(argv, { from: 'user' }).opts());

test('with only --pairs, the offline eval decides as a gateway with default settings', () => {
  const config = configSchema.parse({ REFLEX_HOME: process.env.REFLEX_HOME });
  const args = offline(['--pairs', 'p.jsonl']);
  expect(args).toMatchObject({
    pairs: 'p.jsonl', protocol: 'isolated', offset: 0, seed: 42, json: false,
    threshold: config.similarityThreshold, candidates: config.l2.candidates, topK: config.l2.topK, showFalsePositives: 0,
  });
  expect(args.guards).toEqual(config.verifierGuards);
  expect(args.modelName).toBe(process.env.REFLEX_MODEL_NAME ?? config.model.name);
});

test('mirrored options parse as the gateway setting would', () => {
  expect(offline(['--pairs', 'p', '--guards', 'none', '--threshold', '0.9', '--top-k', '8']))
    .toMatchObject({ guards: [], threshold: 0.9, topK: 8 });
  expect(offline(['--pairs', 'p', '--guards', 'negation_mismatch, number_mismatch']).guards).toEqual(['negation_mismatch', 'number_mismatch']);
  expect(offline(['--pairs', 'p', '--sweep', '0.8,0.9']).sweep).toEqual([0.8, 0.9]);
  for (const bad of [['--threshold', '1.5'], ['--candidates', '0'], ['--top-k', '65'], ['--guards', 'typo'], ['--limit', 'ten'], ['--sweep', '0.8,x']]) {
    expect(() => offline(['--pairs', 'p', ...bad])).toThrow(/is invalid/);
  }
});

test('the gateway eval defaults to a gateway on its default address', () => {
  const config = configSchema.parse({});
  expect(gateway(['--pairs', 'p'])).toMatchObject({
    url: `http://${config.bindAddr}:${config.port}`, temporal: config.temporal.address, namespace: config.temporal.namespace, concurrency: 4,
  });
  expect(() => gateway(['--pairs', 'p', '--threshold', '0.9'])).toThrow(/unknown option '--threshold'/);
});

test('--plot: the gateway eval sweeps the default X-Reflex-Threshold list unless --sweep says otherwise; the file is resolved', () => {
  expect(gateway(['--pairs', 'p']).sweep).toBeUndefined();
  expect(gateway(['--pairs', 'p', '--plot', 'c.svg'])).toMatchObject({ plot: path.resolve('c.svg'), sweep: DEFAULT_GATEWAY_SWEEP });
  expect(gateway(['--pairs', 'p', '--plot', 'c.svg', '--sweep', '0.85,0.9']).sweep).toEqual([0.85, 0.9]);
  expect(offline(['--pairs', 'p', '--plot', '/tmp/o.svg']).plot).toBe('/tmp/o.svg');
  expect(Math.min(...DEFAULT_GATEWAY_SWEEP)).toBeGreaterThanOrEqual(configSchema.parse({}).thresholdBounds.min);
});

test('the verifier options mirror REFLEX_VERIFIER*, and --split picks a slice of a splits file', () => {
  const config = configSchema.parse({ REFLEX_HOME: process.env.REFLEX_HOME });
  expect(offline(['--pairs', 'p'])).toMatchObject({
    verifier: config.verifier.kind, modelThreshold: config.verifier.model.threshold, modelFloor: config.verifier.model.floor, split: undefined,
  });
  expect(offline(['--pairs', 'p', '--verifier', 'guards', '--model-threshold', '0.7', '--model-floor', '0.75', '--split', 'eval', '--splits', '/x/splits.json']))
    .toMatchObject({ verifier: 'guards', modelThreshold: 0.7, modelFloor: 0.75, split: { name: 'eval', file: '/x/splits.json' } });
  for (const bad of [['--verifier', 'bert'], ['--model-threshold', '1.2'], ['--model-floor', '2']]) {
    expect(() => offline(['--pairs', 'p', ...bad])).toThrow(/is invalid/);
  }
});
