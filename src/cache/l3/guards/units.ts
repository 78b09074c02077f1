/**
 * Units of measure change the answer and barely move an embedding: "a pound
 * of feathers or a kilogram of steel" served the answer to "a kilogram of
 * feathers or a kilogram of steel" at cosine 0.984, and "how many grams in a
 * pound" sits next to "how many ounces in a pound". Each side's units, spelled
 * out or abbreviated, must be the same set when both name one. A side that
 * names none ("how heavy is it") is left to the other guards.
 */
import type { Guard } from './guard';
import { words } from '../text';

/**
 * Canonical unit, then its other spellings. Only words that are units nearly
 * wherever they appear: no "g" (e.g.), "ms" (MS Word), "bit" (a bit more),
 * "ton" (a ton of), "stone", "knot", "tb".
 */
const UNITS: string[][] = [
  ['milligram', 'milligrams', 'mg'], ['gram', 'grams'], ['kilogram', 'kilograms', 'kg', 'kgs', 'kilo', 'kilos'],
  ['tonne', 'tonnes'], ['ounce', 'ounces', 'oz'], ['pound', 'pounds', 'lb', 'lbs'],
  ['millimeter', 'millimeters', 'millimetre', 'millimetres', 'mm'], ['centimeter', 'centimeters', 'centimetre', 'centimetres', 'cm'],
  ['meter', 'meters', 'metre', 'metres'], ['kilometer', 'kilometers', 'kilometre', 'kilometres', 'km', 'kms'],
  ['inch', 'inches'], ['foot', 'feet', 'ft'], ['yard', 'yards'], ['mile', 'miles'],
  ['milliliter', 'milliliters', 'millilitre', 'millilitres', 'ml'], ['liter', 'liters', 'litre', 'litres'],
  ['gallon', 'gallons'], ['pint', 'pints'], ['quart', 'quarts'], ['cup', 'cups'],
  ['teaspoon', 'teaspoons', 'tsp'], ['tablespoon', 'tablespoons', 'tbsp'],
  ['acre', 'acres'], ['hectare', 'hectares'],
  ['byte', 'bytes'], ['kilobyte', 'kilobytes', 'kb'], ['megabyte', 'megabytes', 'mb'],
  ['gigabyte', 'gigabytes', 'gb'], ['terabyte', 'terabytes'], ['mbps'], ['gbps'],
  ['calorie', 'calories', 'kcal'], ['joule', 'joules', 'kj'], ['watt', 'watts', 'kw', 'kilowatt', 'kilowatts'], ['kwh'],
  ['volt', 'volts'], ['amp', 'amps', 'ampere', 'amperes'], ['mph'], ['kph', 'kmh'],
  ['millisecond', 'milliseconds'], ['microsecond', 'microseconds'], ['nanosecond', 'nanoseconds'],
  ['dollar', 'dollars', 'usd'], ['euro', 'euros', 'eur'], ['yen', 'jpy'], ['rupee', 'rupees', 'inr'], ['gbp'],
];

const CANONICAL = new Map(UNITS.flatMap(([name, ...rest]) => [name!, ...rest].map((w) => [w, name!] as const)));

/** "5km" and "100ms" are one token to `words`: the digits are split off first. */
export function unitsIn(text: string): Set<string> {
  const spaced = text.replace(/(\d)([a-z]+)\b/gi, '$1 $2');
  return new Set(words(spaced).flatMap((w) => CANONICAL.get(w) ?? []));
}

export const unitGuard: Guard = {
  name: 'unit_mismatch',
  conflict: (query, candidate) => {
    const [a, b] = [unitsIn(query), unitsIn(candidate)];
    return a.size > 0 && b.size > 0 && (a.size !== b.size || [...a].some((u) => !b.has(u)));
  },
};
