/** Backpressure for misses (src/miss/admission.ts): a slot limit, a bounded FIFO queue with a wait limit, 503s past them. */
import { Admission } from '../../src/miss/admission';
import { GatewayError } from '../../src/errors';
import { Metrics } from '../../src/metrics';

const gate = (limit: number, queue: number, waitMs: number) => {
  const metrics = new Metrics();
  const admission = Admission.of({ limit, queue, waitMs }, metrics);
  const gauge = async (name: string) => (await metrics.registry.getSingleMetric(name)!.get()).values.map((v) => `${JSON.stringify(v.labels)}=${v.value}`).join(' ');
  return { admission, gauge };
};

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (err: unknown) => err,
  );

describe('miss admission', () => {
  it('admits up to the limit, queues the next in order, and hands each released slot to the oldest waiter', async () => {
    const { admission, gauge } = gate(2, 10, 10_000);
    const a = await admission.enter();
    await admission.enter();
    const order: string[] = [];
    const c = admission.enter().then((release) => (order.push('c'), release));
    const d = admission.enter().then((release) => (order.push('d'), release));
    expect(await gauge('reflex_misses_in_flight')).toBe('{}=2');
    expect(await gauge('reflex_miss_queue_depth')).toBe('{}=2');
    a();
    (await c)();
    await d;
    expect(order).toEqual(['c', 'd']);
    expect(await gauge('reflex_miss_queue_depth')).toBe('{}=0');
    expect(await gauge('reflex_misses_in_flight')).toBe('{}=2');
  });

  it('refuses at once when the queue is full, and a waiter whose wait runs out, with an OpenAI-shaped 503 and Retry-After', async () => {
    const { admission, gauge } = gate(1, 1, 50);
    await admission.enter();
    const waiting = refusal(admission.enter());
    const full = (await refusal(admission.enter())) as GatewayError;
    expect(full).toBeInstanceOf(GatewayError);
    expect(full.status).toBe(503);
    expect(full.headers['Retry-After']).toBe('1');
    expect(full.toBody().error.code).toBe('gateway_overloaded');
    const timedOut = (await waiting) as GatewayError;
    expect(timedOut.status).toBe(503);
    expect(await gauge('reflex_misses_refused_total')).toBe('{"reason":"queue_full"}=1 {"reason":"queue_timeout"}=1');
    expect(await gauge('reflex_miss_queue_depth')).toBe('{}=0');
  });

  it('assertRoom refuses only when a miss could neither run nor queue (checked before the lookup)', async () => {
    const { admission, gauge } = gate(1, 1, 10_000);
    admission.assertRoom();
    const release = await admission.enter();
    admission.assertRoom();
    const queued = admission.enter();
    expect(() => admission.assertRoom()).toThrow(GatewayError);
    expect(await gauge('reflex_misses_refused_total')).toBe('{"reason":"queue_full"}=1');
    release();
    (await queued)();
    admission.assertRoom();
  });

  it('a queue of 0 refuses everything past the limit at once; a release frees the slot', async () => {
    const { admission } = gate(1, 0, 1_000);
    const release = await admission.enter();
    expect(((await refusal(admission.enter())) as GatewayError).status).toBe(503);
    release();
    await expect(admission.enter()).resolves.toBeInstanceOf(Function);
  });
});
