/** Fill workflow ids: what `reflex replay` reads back out of them, and that a refresh never shares one. */
import { fillIdFor } from '../../src/miss/missSpec';
import { FillInput, fillWorkflowId, storingFillOf } from '../../src/workflows/definitions';

const tenant = '0123456789abcdef';
const key = 'e'.repeat(64);
const input = (over: Partial<FillInput> = {}) => ({ tenant, key, ...over }) as FillInput;

test('identical misses share one fill id; no-store has its own', () => {
  expect(fillIdFor(input())).toBe(`fill-${tenant}-${key}`);
  expect(fillIdFor(input({ store: false }))).toBe(`fill-${tenant}-${key}-nostore`);
});

test('every refresh gets an id of its own, never the fill id', () => {
  const a = fillIdFor(input({ replace: true }));
  const b = fillIdFor(input({ replace: true }));
  expect(a).toMatch(new RegExp(`^refresh-${tenant}-${key}-[0-9a-f]{16}$`));
  expect(a).not.toBe(b);
});

test('replay reads tenant and key from fills and refreshes, not from no-store fills or other ids', () => {
  expect(storingFillOf(fillWorkflowId(tenant, key))).toEqual({ tenant, key });
  expect(storingFillOf(fillIdFor(input({ replace: true })))).toEqual({ tenant, key });
  expect(storingFillOf(fillWorkflowId(tenant, key, false))).toBeUndefined();
  expect(storingFillOf(`delete-${tenant}-${key}`)).toBeUndefined();
  expect(storingFillOf(`refresh-${tenant}-${key}`)).toBeUndefined();
});
