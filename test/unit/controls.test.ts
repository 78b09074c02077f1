import { readControls } from '../../src/cache/controls';
import { GatewayError } from '../../src/errors';

const defaults = { thresholdBounds: { min: 0.8, max: 1 }, responseFormat: 'openai' as const };
const read = (headers: Record<string, string>) => readControls((name) => headers[name] ?? '', defaults);

describe('per-request cache controls', () => {
  test('no headers: look up, store, openai format', () => {
    expect(read({})).toEqual({ lookup: true, store: true, replace: false, onlyIfCached: false, threshold: undefined, format: 'openai' });
  });

  test.each([
    [{ 'cache-control': 'no-cache' }, { lookup: false, store: true, replace: true }],
    [{ 'cache-control': 'max-age=0, No-Store' }, { lookup: true, store: false, replace: false }],
    [{ 'cache-control': 'no-cache, no-store' }, { lookup: false, store: false, replace: false }],
    [{ 'x-reflex-cache': 'bypass' }, { lookup: false, store: false, replace: false }],
    [{ 'x-reflex-cache': 'refresh' }, { lookup: false, store: true, replace: true }],
    [{ 'x-reflex-cache': 'only-if-cached' }, { lookup: true, store: true, onlyIfCached: true }],
  ])('%j', (headers, expected) => {
    expect(read(headers)).toMatchObject(expected);
  });

  test('threshold within bounds is kept, outside is a 400', () => {
    expect(read({ 'x-reflex-threshold': '0.95' }).threshold).toBe(0.95);
    for (const bad of ['0.5', '1.2', 'high']) {
      expect(() => read({ 'x-reflex-threshold': bad })).toThrow(GatewayError);
    }
  });

  test('format and unknown values', () => {
    expect(read({ 'x-reflex-format': 'TAUQ' }).format).toBe('tauq');
    expect(() => read({ 'x-reflex-format': 'xml' })).toThrow(GatewayError);
    expect(() => read({ 'x-reflex-cache': 'sometimes' })).toThrow(GatewayError);
  });
});
