/** The evals' options that mirror gateway settings take the schema's defaults and validation, not copies. */
import { Command } from 'commander';
import { configSchema } from '../../src/config';
import { toGatewayArgs, toOfflineArgs, withGatewayEvalOptions, withOfflineEvalOptions } from '../../src/tools/eval/args';

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
