/**
 * What the L3 guards cost on a hit, where every default guard runs and none
 * vetoes:
 *   node dist-bench/bench/guardCost.js [--pairs F] [--n 6000] [--baseline DIR]
 * Times every default guard on each pair (query = b, candidate = a), in
 * rounds; with --baseline, another checkout's build (DIR/dist) is timed in
 * alternate rounds in the same process, so both see the same minutes of the
 * host. Reports microseconds per pair, each round.
 */
import path from 'node:path';
import { DEFAULT_GUARDS, guardsByName, type Guard } from '../src/cache/l3/guards';
import { loadPairs } from '../src/ops/eval/pairs';
import { scriptArgs } from './scriptArgs';

const { values } = scriptArgs(process.argv.slice(2), {
  summary: 'microseconds per pair for all default L3 guards, optionally against another build',
  options: {
    pairs: { type: 'string', default: '/work/shared/data/qqp-dev.jsonl.gz', description: 'labelled pairs (JSON lines, .gz allowed)' },
    n: { type: 'string', default: '6000', description: 'pairs to time' },
    rounds: { type: 'string', default: '4', description: 'timed rounds per build (after one warm-up)' },
    baseline: { type: 'string', description: "another checkout whose dist/ to time alternately" },
  },
});

interface Build {
  name: string;
  guards: readonly Guard[];
}

function load(): Build[] {
  const builds: Build[] = [{ name: 'this build', guards: guardsByName(DEFAULT_GUARDS) }];
  if (values.baseline) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const other = require(path.resolve(values.baseline, 'dist/cache/l3/guards')) as { guardsByName: typeof guardsByName; DEFAULT_GUARDS: string[] };
    builds.push({ name: values.baseline, guards: other.guardsByName(other.DEFAULT_GUARDS) });
  }
  return builds;
}

function microsPerPair(guards: readonly Guard[], pairs: Array<{ a: string; b: string }>): number {
  const start = process.hrtime.bigint();
  for (const p of pairs) for (const g of guards) g.conflict(p.b, p.a);
  return Number(process.hrtime.bigint() - start) / 1000 / pairs.length;
}

function main(): void {
  const pairs = loadPairs(values.pairs).slice(0, Number(values.n));
  const builds = load();
  const rounds = Number(values.rounds);
  const times = new Map(builds.map((b) => [b.name, [] as number[]]));
  for (let r = 0; r <= rounds; r++) {
    const order = r % 2 ? [...builds].reverse() : builds;
    for (const b of order) {
      const us = microsPerPair(b.guards, pairs);
      if (r > 0) times.get(b.name)!.push(us);
    }
  }
  for (const b of builds) console.log(`${b.name}: ${b.guards.length} guards, ${times.get(b.name)!.map((t) => t.toFixed(1)).join(' / ')} µs a pair`);
}

main();
