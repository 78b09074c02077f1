import type { Guard } from './guard';
import { antonymGuard } from './antonyms';
import { detailGuard } from './detail';
import { directionGuard } from './direction';
import { entityGuard } from './entities';
import { languageGuard } from './language';
import { negationGuard } from './negation';
import { numberGuard } from './numbers';

export type { Guard } from './guard';

/** Most decisive first; order only changes which reason is reported. */
export const ALL_GUARDS: readonly Guard[] = [
  languageGuard, numberGuard, negationGuard, antonymGuard, directionGuard, entityGuard, detailGuard,
];

export const GUARD_NAMES: readonly string[] = ALL_GUARDS.map((g) => g.name);

/**
 * On by default. added_detail is opt-in: on QQP it vetoed more true
 * duplicates than false ones (see BENCHMARKS.md), because people often add
 * a word ("quickly", "exactly") without changing what they ask.
 */
export const DEFAULT_GUARDS: readonly string[] = GUARD_NAMES.filter((n) => n !== 'added_detail');

/** Resolves names such as "number_mismatch"; throws on an unknown name so a typo in config fails loudly. */
export function guardsByName(names: readonly string[]): Guard[] {
  return names.map((n) => {
    const g = ALL_GUARDS.find((x) => x.name === n);
    if (!g) throw new Error(`unknown verifier guard "${n}" (known: ${GUARD_NAMES.join(', ')})`);
    return g;
  });
}
