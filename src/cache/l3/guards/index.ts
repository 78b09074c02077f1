import type { Guard } from './guard';
import { antonymGuard } from './antonyms';
import { detailGuard } from './detail';
import { directionGuard } from './direction';
import { entityGuard } from './entities';
import { languageGuard } from './language';
import { negationGuard } from './negation';
import { numberGuard } from './numbers';
import { orderSwapGuard } from './orderSwap';
import { questionWordGuard } from './questionWord';
import { quantifierGuard, siblingGuard } from './siblings';
import { unitGuard } from './units';
import { unreadLanguageGuard } from './unreadLanguage';

export type { Guard } from './guard';

/** Most decisive first; order only changes which reason is reported. */
export const ALL_GUARDS: readonly Guard[] = [
  languageGuard, unreadLanguageGuard, numberGuard, unitGuard, negationGuard, antonymGuard, siblingGuard, quantifierGuard, directionGuard, orderSwapGuard, questionWordGuard, entityGuard, detailGuard,
];

/** The names REFLEX_VERIFIER_GUARDS takes, and the default set, belong to the configuration. */
export { DEFAULT_GUARDS, GUARD_NAMES } from '../../../config';

/** Resolves names such as "number_mismatch"; throws on an unknown name so a typo in config fails loudly. */
export function guardsByName(names: readonly string[]): Guard[] {
  return names.map((n) => {
    const g = ALL_GUARDS.find((x) => x.name === n);
    if (!g) throw new Error(`unknown verifier guard "${n}" (known: ${ALL_GUARDS.map((x) => x.name).join(', ')})`);
    return g;
  });
}
