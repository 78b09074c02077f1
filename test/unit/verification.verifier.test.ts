import { createVerifier, DEFAULT_SIMILARITY_THRESHOLD } from '../../src/cache/l3/guardedVerifier';
import { guardsByName } from '../../src/cache/l3/guards';
import { ModelVerifier } from '../../src/cache/l3/modelVerifier';
import { ALL_GUARDS, DEFAULT_GUARDS, GUARD_NAMES } from '../../src/cache/l3/guards';
import { loadPairs } from '../../src/ops/eval/pairs';

describe('guarded verifier', () => {
  const verifier = createVerifier({ threshold: 0.9 });

  it('rejects below the cosine floor before looking at the text', () => {
    expect(verifier.verifyNow('How do I reset my password?', { text: 'How can I reset my password?', similarity: 0.89 })).toEqual({
      accepted: false,
      reason: 'below_threshold',
    });
  });

  it('accepts a close paraphrase with nothing structurally different', () => {
    expect(verifier.verifyNow('How do I reset my password?', { text: 'How can I reset my password?', similarity: 0.97 })).toEqual({
      accepted: true,
      reason: 'verified',
    });
  });

  it('names the guard that vetoed a near-identical but different question', () => {
    const v = verifier.verifyNow('How do I disable 2FA?', { text: 'How do I enable 2FA?', similarity: 0.99 });
    expect(v).toEqual({ accepted: false, reason: 'antonym_mismatch' });
    expect(verifier.verifyNow('Hotels in Paris', { text: 'Hotels in Rome', similarity: 0.95 }).reason).toBe('entity_mismatch');
  });

  it('rejects a NaN similarity rather than serving it', () => {
    expect(verifier.verifyNow('a', { text: 'a', similarity: Number.NaN }).accepted).toBe(false);
  });

  it('can run with a subset of guards, and rejects unknown guard names', () => {
    const numbersOnly = createVerifier({ threshold: 0.5, guards: ['number_mismatch'] });
    expect(numbersOnly.verifyNow('How do I disable 2FA?', { text: 'How do I enable 2FA?', similarity: 0.99 }).accepted).toBe(true);
    expect(() => createVerifier({ threshold: 0.5, guards: ['no_such_guard'] })).toThrow(/unknown verifier guard/);
  });

  it('keeps the opt-in guard out of the defaults', () => {
    expect(GUARD_NAMES).toContain('added_detail');
    expect(DEFAULT_GUARDS).not.toContain('added_detail');
    expect(DEFAULT_SIMILARITY_THRESHOLD).toBeGreaterThan(0.5);
  });
});

describe('model verifier', () => {
  const calls: Array<[string, string]> = [];
  const scorer = { score: async (a: string, b: string) => (calls.push([a, b]), b.includes('same') ? 0.9 : 0.1) };
  const verifier = new ModelVerifier(0.8, 0.5, guardsByName(['number_mismatch']), scorer);

  beforeEach(() => (calls.length = 0));

  it('runs the model only on candidates above the cosine floor that no guard vetoes', async () => {
    expect(await verifier.verify('q', { text: 'same question', similarity: 0.79 })).toEqual({ accepted: false, reason: 'below_threshold' });
    expect(await verifier.verify('Is 3 prime?', { text: 'Is 5 prime, same?', similarity: 0.95 })).toEqual({ accepted: false, reason: 'number_mismatch' });
    expect(calls).toEqual([]);
  });

  it('serves what the model accepts at its threshold, and nothing else', async () => {
    expect(await verifier.verify('q', { text: 'same question', similarity: 0.85 })).toEqual({ accepted: true, reason: 'verified' });
    expect(await verifier.verify('q', { text: 'other question', similarity: 0.99 })).toEqual({ accepted: false, reason: 'model_rejected' });
    expect(calls).toEqual([['q', 'same question'], ['q', 'other question']]);
  });

  it('serves at or above the guards floor without asking the model, as guards mode would', async () => {
    const both = new ModelVerifier(0.8, 0.5, guardsByName(['number_mismatch']), scorer, 0.97);
    expect(await both.verify('q', { text: 'other question', similarity: 0.97 })).toEqual({ accepted: true, reason: 'verified' });
    expect((await both.verify('Is 3 prime?', { text: 'Is 5 prime?', similarity: 0.99 })).reason).toBe('number_mismatch');
    expect((await both.verify('q', { text: 'other question', similarity: 0.96 })).reason).toBe('model_rejected');
    expect(calls).toEqual([['q', 'other question']]);
  });

  it('lets X-Reflex-Threshold raise the cosine floor per request', async () => {
    expect((await verifier.verify('q', { text: 'same question', similarity: 0.85, threshold: 0.9 })).reason).toBe('below_threshold');
    expect((await verifier.verify('q', { text: 'same question', similarity: Number.NaN })).accepted).toBe(false);
  });
});

describe('both modes', () => {
  // A model that would serve anything: what is left to stop a pair is the guards alone.
  const lenient = new ModelVerifier(0, 0, guardsByName(DEFAULT_GUARDS), { score: async () => 1 }, 0.97);
  const guards = createVerifier({ threshold: 0 });
  const negatives = loadPairs(`${__dirname}/../data/adversarial.jsonl`).filter((p) => p.label === 0);

  it('a guard that vetoes in guards mode vetoes in model mode too, whatever the cosine, but where the model reads it', async () => {
    const modelReads = new Set(ALL_GUARDS.filter((g) => g.modelReadsIt).map((g) => g.name));
    let vetoed = 0;
    let deferred = 0;
    for (const p of negatives) {
      for (const similarity of [0.86, 0.99]) {
        const g = guards.verifyNow(p.b, { text: p.a, similarity });
        const m = await lenient.verify(p.b, { text: p.a, similarity });
        if (g.accepted) continue;
        vetoed++;
        // Under the guards' floor the model decides what those guards would (and this model serves all).
        if (similarity < 0.97 && modelReads.has(g.reason)) (deferred++, expect(m.reason).not.toBe(g.reason));
        else expect(m).toEqual(g);
      }
    }
    expect(modelReads).toEqual(new Set(['order_swap', 'question_mismatch', 'quantifier_mismatch']));
    expect(deferred).toBeGreaterThan(0);
    expect(vetoed).toBeGreaterThan(negatives.length); // most pairs are caught by a guard, not by the cosine floor
  });
});

test('the configuration names exactly the guards L3 implements, in their order', () => {
  expect(ALL_GUARDS.map((g) => g.name)).toEqual([...GUARD_NAMES]);
});
