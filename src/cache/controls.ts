/**
 * Per-request cache controls, read from HTTP headers:
 *
 * - `Cache-Control: no-cache`  → skip the lookup, fetch fresh, replace the entry.
 * - `Cache-Control: no-store`  → may be served from cache, but a miss is not stored.
 * - `X-Reflex-Cache: bypass`   → neither look up nor store (a plain proxy call).
 * - `X-Reflex-Cache: refresh`  → same as no-cache.
 * - `X-Reflex-Cache: only-if-cached` → serve a hit or answer 504, never call the provider.
 * - `X-Reflex-Threshold: 0.93` → the semantic floor for this request, within configured bounds.
 * - `X-Reflex-Format: openai | tauq` → response body encoding (default from config).
 *
 * Unknown X-Reflex-* values are a 400, so a typo never silently caches.
 */
import { invalidRequest } from '../errors';

export type ResponseFormat = 'openai' | 'tauq';

export interface CacheControls {
  /** Look the request up in L1/L2 before calling the provider. */
  lookup: boolean;
  /** Store the provider's answer (when cacheable). */
  store: boolean;
  /** Overwrite an existing entry (the fill must not short-circuit on the stored answer). */
  replace: boolean;
  /** A miss is a 504 instead of a provider call. */
  onlyIfCached: boolean;
  threshold?: number;
  format: ResponseFormat;
}

export interface ControlDefaults {
  thresholdBounds: { min: number; max: number };
  responseFormat: ResponseFormat;
}

type HeaderGetter = (name: string) => string;

const MODES = ['bypass', 'refresh', 'only-if-cached'] as const;

export function readControls(header: HeaderGetter, defaults: ControlDefaults): CacheControls {
  const directives = cacheControlDirectives(header('cache-control'));
  const mode = reflexMode(header('x-reflex-cache'));
  const noCache = directives.has('no-cache') || mode === 'refresh';
  const noStore = directives.has('no-store') || mode === 'bypass';
  return {
    lookup: !noCache && mode !== 'bypass',
    store: !noStore,
    replace: noCache && !noStore,
    onlyIfCached: mode === 'only-if-cached' || directives.has('only-if-cached'),
    threshold: threshold(header('x-reflex-threshold'), defaults.thresholdBounds),
    format: format(header('x-reflex-format'), defaults.responseFormat),
  };
}

function cacheControlDirectives(value: string): Set<string> {
  return new Set(
    value
      .split(',')
      .map((d) => d.trim().toLowerCase().split('=')[0]!)
      .filter(Boolean),
  );
}

function reflexMode(value: string): (typeof MODES)[number] | undefined {
  const mode = value.trim().toLowerCase();
  if (!mode) return undefined;
  if ((MODES as readonly string[]).includes(mode)) return mode as (typeof MODES)[number];
  throw invalidRequest(`X-Reflex-Cache must be one of ${MODES.join(', ')}; got '${value}'.`, 'X-Reflex-Cache', 'invalid_header');
}

function threshold(value: string, bounds: { min: number; max: number }): number | undefined {
  if (!value.trim()) return undefined;
  const t = Number(value);
  if (!Number.isFinite(t) || t < bounds.min || t > bounds.max) {
    throw invalidRequest(`X-Reflex-Threshold must be a number in [${bounds.min}, ${bounds.max}]; got '${value}'.`, 'X-Reflex-Threshold', 'invalid_header');
  }
  return t;
}

function format(value: string, fallback: ResponseFormat): ResponseFormat {
  const f = value.trim().toLowerCase();
  if (!f) return fallback;
  if (f === 'openai' || f === 'tauq') return f;
  throw invalidRequest(`X-Reflex-Format must be 'openai' or 'tauq'; got '${value}'.`, 'X-Reflex-Format', 'invalid_header');
}
