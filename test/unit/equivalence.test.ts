import { Equivalence } from '../../bench/equivalence';

test('classes are the connected components of the positive pairs', () => {
  const eq = new Equivalence([
    { a: 'a1', b: 'a2', label: 1 },
    { a: 'a2', b: 'a3', label: 1 },
    { a: 'a3', b: 'b1', label: 0 },
    { a: 'b1', b: 'b2', label: 1 },
  ]);
  expect(eq.same('a1', 'a3')).toBe(true);
  expect(eq.same('a1', 'b1')).toBe(false);
  expect(eq.same('b2', 'b1')).toBe(true);
  expect(eq.same('never seen', 'a1')).toBe(false);
});
