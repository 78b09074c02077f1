/**
 * The tree reads as the pipeline (issue 30): src/ has at most twelve
 * top-level folders, and no folder (or root module) reaches, through any
 * chain of imports, back to itself — each owns its vocabulary and nothing
 * below imports anything above. Type-only imports count: a type is
 * vocabulary too.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const SRC = path.resolve(__dirname, '../../src');
const IMPORT = /(?:from|import|require)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;

/** A module's top-level unit: its folder under src/, or the root module's own name. */
const unitOf = (file: string) => path.relative(SRC, file).split(path.sep)[0]!.replace(/\.(ts|js)$/, '');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? sources(full) : name.endsWith('.ts') ? [full] : [];
  });
}

/** unit → the units it imports from. */
export function unitGraph(files: string[] = sources(SRC)): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of files) {
    const from = unitOf(file);
    const deps = graph.get(from) ?? graph.set(from, new Set()).get(from)!;
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const to = unitOf(path.resolve(path.dirname(file), spec!));
      if (to !== from && !to.startsWith('..')) deps.add(to);
    }
  }
  return graph;
}

/** Every cycle found by a depth-first walk, as the chain of units that closes it. */
export function cycles(graph: Map<string, Set<string>>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (unit: string): void => {
    state.set(unit, 'open');
    stack.push(unit);
    for (const next of [...(graph.get(unit) ?? [])].sort()) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(unit, 'done');
  };
  for (const unit of [...graph.keys()].sort()) if (!state.has(unit)) visit(unit);
  return found;
}

test('src/ has at most twelve top-level folders', () => {
  const folders = readdirSync(SRC).filter((name) => statSync(path.join(SRC, name)).isDirectory());
  expect(folders.length).toBeLessThanOrEqual(12);
});

test('no top-level folder or root module imports its way back to itself', () => {
  expect(cycles(unitGraph()).map((c) => c.join(' → '))).toEqual([]);
});

test('the check finds a cycle where there is one', () => {
  const graph = new Map([['config', new Set(['cache'])], ['cache', new Set(['postgres'])], ['postgres', new Set(['config'])], ['api', new Set(['cache'])]]);
  expect(cycles(graph)).toEqual([['cache', 'postgres', 'config', 'cache']]);
});
