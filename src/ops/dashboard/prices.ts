/**
 * What the tokens a hit saved would have cost: a per-model price table (US
 * dollars per million tokens, input and output), the defaults below merged
 * with REFLEX_PRICES. Estimates: list prices at the time of writing, no
 * discounts, cached-input rates or batch pricing; set your own.
 */

export interface Price {
  /** USD per 1M prompt (input) tokens. */
  prompt: number;
  /** USD per 1M completion (output) tokens. */
  completion: number;
}

export type PriceTable = Record<string, Price>;

/** The defaults belong to the configuration (REFLEX_PRICES adds to them). */
export { DEFAULT_PRICES } from '../../config';


/** The model's price: its own entry, else the longest entry it starts with (dated snapshots such as gpt-4o-mini-2024-07-18). */
export function priceOf(model: string, prices: PriceTable): Price | undefined {
  if (prices[model]) return prices[model];
  const family = Object.keys(prices)
    .filter((name) => model.startsWith(`${name}-`))
    .sort((a, b) => b.length - a.length)[0];
  return family ? prices[family] : undefined;
}

/** USD for these tokens; undefined when the model has no price (the dashboard says so rather than guess). */
export function costOf(model: string, tokens: { prompt: number; completion: number }, prices: PriceTable): number | undefined {
  const price = priceOf(model, prices);
  return price && (tokens.prompt * price.prompt + tokens.completion * price.completion) / 1e6;
}
