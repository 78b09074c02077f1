/** Wrong admin tokens at /admin/login back off per client, doubling, and the right token clears the count. */
import { FREE_TRIES, LoginBackoff } from '../../src/api/middleware/loginBackoff';

const refusal = (check: () => void) => {
  try {
    check();
    return undefined;
  } catch (err) {
    return err as { status: number; headers: Record<string, string> };
  }
};

test('free tries, then waits of 1, 2, 4 … s before the next try counts; per client; the right token clears it', () => {
  let now = 1_000_000;
  const backoff = new LoginBackoff(() => now);
  for (let i = 0; i < FREE_TRIES; i++) {
    expect(refusal(() => backoff.check('10.0.0.1'))).toBeUndefined();
    backoff.failed('10.0.0.1');
  }
  expect(refusal(() => backoff.check('10.0.0.1'))).toBeUndefined(); // the free tries cost no wait
  for (const waitS of [1, 2, 4, 8]) {
    backoff.failed('10.0.0.1');
    expect(refusal(() => backoff.check('10.0.0.1'))).toMatchObject({ status: 429, headers: { 'Retry-After': String(waitS) } });
    expect(refusal(() => backoff.check('10.0.0.2'))).toBeUndefined(); // another client is not slowed down
    now += waitS * 1000 - 1;
    expect(refusal(() => backoff.check('10.0.0.1'))?.status).toBe(429);
    now += 1;
    expect(refusal(() => backoff.check('10.0.0.1'))).toBeUndefined();
  }
  backoff.succeeded('10.0.0.1');
  backoff.failed('10.0.0.1');
  expect(refusal(() => backoff.check('10.0.0.1'))).toBeUndefined(); // counting starts again
});

test('the wait stops doubling at 15 minutes', () => {
  const backoff = new LoginBackoff(() => 0);
  for (let i = 0; i < FREE_TRIES + 40; i++) backoff.failed('10.0.0.1');
  expect(refusal(() => backoff.check('10.0.0.1'))?.headers['Retry-After']).toBe('900');
});
