/**
 * Units of measure change the answer and barely move an embedding: "a pound
 * of feathers or a kilogram of steel" served the answer to "a kilogram of
 * feathers or a kilogram of steel" at cosine 0.984, and "how many grams in a
 * pound" sits next to "how many ounces in a pound". Each side's units, spelled
 * out or abbreviated, must be the same set when both name one. A side that
 * names none ("how heavy is it") is left to the other guards.
 */
import type { Guard } from './guard';
import { tokens } from '../text';
import { isNumberWord } from './numbers';

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

/**
 * Units only after a count: time ("two days" against "two weeks", served wrong
 * at 0.973; but "what day is it" names no unit), and short spellings that are
 * units after digits only ("100 ms", "5 g", not "MS Word" or "e.g.").
 */
const TIME: string[][] = [
  ['second', 'seconds', 'sec', 'secs'], ['minute', 'minutes', 'mins'], ['hour', 'hours', 'hrs'], ['day', 'days'],
  ['week', 'weeks'], ['month', 'months'], ['year', 'years'], ['decade', 'decades'], ['century', 'centuries'],
];
const AFTER_DIGITS: string[][] = [
  ['gram', 'g'], ['millisecond', 'ms'], ['second', 's'], ['minute', 'min'], ['hour', 'h', 'hr'], ['tonne', 'ton', 'tons'], ['terabyte', 'tb'],
  // The half of the day: "6:30 am" against "6:30 pm" (0.972); "I am" is no time.
  ['am'], ['pm'],
];
const COUNTS = new Set(['a', 'an', 'one', 'per', 'every', 'each', 'many', 'few', 'several', 'couple', 'of']);

const canonical = (groups: string[][]) => new Map(groups.flatMap(([name, ...rest]) => [name!, ...rest].map((w) => [w, name!] as const)));
const ALWAYS = canonical(UNITS);
const COUNTED = canonical(TIME);
const DIGITED = canonical(AFTER_DIGITS);

/** "5km" and "100ms" are one token to `tokens`: the digits are split off first. */
export function unitsIn(text: string): Set<string> {
  const ws = tokens(text.replace(/(\d)([a-z]+)\b/gi, '$1 $2'));
  const found = new Set<string>();
  ws.forEach((w, i) => {
    const before = ws[i - 1] ?? '';
    const digits = /^\d/.test(before);
    const unit = ALWAYS.get(w) ?? (digits || COUNTS.has(before) || isNumberWord(before) ? COUNTED.get(w) : undefined) ?? (digits ? DIGITED.get(w) : undefined);
    if (unit) found.add(unit);
  });
  return found;
}

export const unitGuard: Guard = {
  name: 'unit_mismatch',
  conflict: (query, candidate) => {
    const [a, b] = [unitsIn(query), unitsIn(candidate)];
    return a.size > 0 && b.size > 0 && (a.size !== b.size || [...a].some((u) => !b.has(u)));
  },
};
