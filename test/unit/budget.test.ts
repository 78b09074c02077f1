/** The error budget's arithmetic: the Wilson upper bound, and the floor learned from judged candidates. */
import { cleanToOpen, CLOSED, learnedFloor, underBudget, type Judged } from '../../src/cache/l3/budget/learnedFloor';
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

  test('closed until enough right judgements show the rate stays under δ, with α split over the grid', () => {
    const clean = (n: number) => judged(Array.from({ length: n }, (_, i) => [0.99 - i * 0.0003, false]));
    expect(learnedFloor([], 0.05, 0.9)).toBe(CLOSED);
    expect(learnedFloor(clean(60), 0.05, 0.9)).toBe(CLOSED); // one floor looked at once would open here (0 of 60 bounds at 0.044)
    expect(learnedFloor(clean(139), 0.05, 0.9)).toBe(CLOSED);
    // 0 wrong of 140: the mixture's likelihood ratio passes 10 floors / α = 200; every candidate from 0.90 up was judged.
    expect(learnedFloor(clean(140), 0.05, 0.9)).toBeCloseTo(0.9, 6);
  });

  test('how many clean judgements open a floor at δ = 2% (20 floors from 0.80): about 400, and each wrong one costs ~100 more', () => {
    const opensAt = (wrong: number) => {
      let n = wrong + 1;
      while (!underBudget(wrong, n, 0.02, 20)) n++;
      return n;
    };
    expect(opensAt(0)).toBe(397);
    expect(opensAt(1)).toBe(507);
    expect(opensAt(5)).toBe(914);
    // What the dashboard's "to open" says: the same counts, from wherever a tenant stands.
    expect(cleanToOpen(0, 0, 0.02, 20)).toBe(397);
    expect(cleanToOpen(0, 300, 0.02, 20)).toBe(97);
    expect(cleanToOpen(1, 100, 0.02, 20)).toBe(407);
    expect(cleanToOpen(0, 397, 0.02, 20)).toBe(0);
  });

  test('valid at every look: at a true rate of δ, a floor looked at after each of 2,000 judgements opens in at most α of runs', () => {
    let seed = 11;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const everOpened = (rate: number, delta: number) => {
      let opened = 0;
      for (let run = 0; run < 500; run++) {
        for (let n = 1, wrong = 0; n <= 2000; n++) {
          if (random() < rate) wrong++;
          if (underBudget(wrong, n, delta, 1)) {
            opened++;
            break;
          }
        }
      }
      return opened / 500;
    };
    expect(everOpened(0.05, 0.05)).toBeLessThanOrEqual(0.05);
    // …and it does open where the rate is well under δ.
    expect(everOpened(0.01, 0.05)).toBeGreaterThan(0.95);
  });

  test('floors are grid steps, and wrong judgements low down keep it above most of them', () => {
    const right = Array.from({ length: 1000 }, (_, i): [number, boolean] => [0.999 - i * 0.00005, false]);
    const wrongLow = Array.from({ length: 30 }, (_, i): [number, boolean] => [0.93 - i * 0.001, true]);
    // δ = 0.02: from 0.93 up, 1 wrong of 1001 bounds at 0.018; from 0.92, 11 of 1011 does not.
    expect(learnedFloor(judged([...right, ...wrongLow]), 0.02, 0.9)).toBeCloseTo(0.93, 6);
    // Larger budgets let more of them in.
    expect(learnedFloor(judged([...right, ...wrongLow]), 0.05, 0.9)).toBeCloseTo(0.91, 6);
    expect(learnedFloor(judged([...right, ...wrongLow]), 0.1, 0.9)).toBeCloseTo(0.9, 6);
  });

  test('never below the configured floor', () => {
    expect(learnedFloor(judged(Array.from({ length: 300 }, (_, i) => [0.95 - i * 0.001, false])), 0.05, 0.9)).toBeGreaterThanOrEqual(0.9);
  });
});
