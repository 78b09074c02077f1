/** The error budget's arithmetic: the Wilson upper bound, and the floor learned from judged candidates. */
import { CLOSED, learnedFloor, type Judged } from '../../src/cache/l3/budget/learnedFloor';
import { wilsonUpper } from '../../src/cache/l3/budget/wilson';

describe('wilsonUpper (one-sided 95%)', () => {
  test('honest about small samples, tight on large ones', () => {
    expect(wilsonUpper(0, 0)).toBe(1);
    expect(wilsonUpper(0, 10)).toBeCloseTo(0.213, 3);
    expect(wilsonUpper(0, 150)).toBeCloseTo(0.0177, 3);
    expect(wilsonUpper(5, 100)).toBeCloseTo(0.0992, 3);
    expect(wilsonUpper(10, 10)).toBe(1);
  });

  test('covers the true rate in about 95% of samples', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    let covered = 0;
    for (let run = 0; run < 2000; run++) {
      let k = 0;
      for (let i = 0; i < 200; i++) if (random() < 0.03) k++;
      if (wilsonUpper(k, 200) >= 0.03) covered++;
    }
    expect(covered / 2000).toBeGreaterThan(0.93);
    expect(covered / 2000).toBeLessThan(0.995);
  });
});

describe('learnedFloor', () => {
  const judged = (pairs: Array<[number, boolean]>): Judged[] => pairs.map(([similarity, wrong]) => ({ similarity, wrong }));

  test('closed until enough right judgements show the rate stays under δ', () => {
    expect(learnedFloor([], 0.05, 0.9)).toBe(CLOSED);
    expect(learnedFloor(judged(Array.from({ length: 20 }, (_, i) => [0.99 - i * 0.001, false])), 0.05, 0.9)).toBe(CLOSED);
    // 0 wrong of 60: the bound is 0.044, under 0.05 — the floor is the lowest similarity judged.
    expect(learnedFloor(judged(Array.from({ length: 60 }, (_, i) => [0.99 - i * 0.001, false])), 0.05, 0.9)).toBeCloseTo(0.931, 6);
  });

  test('wrong judgements below a similarity keep the floor above them', () => {
    const right = Array.from({ length: 200 }, (_, i): [number, boolean] => [0.999 - i * 0.0003, false]);
    const wrongLow = Array.from({ length: 30 }, (_, i): [number, boolean] => [0.93 - i * 0.001, true]);
    // δ = 0.02: 0 of 200 right ones bound 0.013; one wrong more and it is 0.027.
    expect(learnedFloor(judged([...right, ...wrongLow]), 0.02, 0.9)).toBeCloseTo(0.999 - 199 * 0.0003, 6);
    // δ = 0.05 allows a few of them in: 5 wrong of 205 bound 0.049.
    expect(learnedFloor(judged([...right, ...wrongLow]), 0.05, 0.9)).toBeCloseTo(0.926, 6);
  });

  test('never below the configured floor', () => {
    expect(learnedFloor(judged(Array.from({ length: 300 }, (_, i) => [0.95 - i * 0.001, false])), 0.05, 0.9)).toBeGreaterThanOrEqual(0.9);
  });
});
