import { createVerifier, DEFAULT_SIMILARITY_THRESHOLD } from '../../src/cache/l3/guardedVerifier';
import { DEFAULT_GUARDS, GUARD_NAMES } from '../../src/cache/l3/guards';

describe('guarded verifier', () => {
  const verifier = createVerifier({ threshold: 0.9 });

  it('rejects below the cosine floor before looking at the text', () => {
    expect(verifier.verify('How do I reset my password?', { text: 'How can I reset my password?', similarity: 0.89 })).toEqual({
      accepted: false,
      reason: 'below_threshold',
    });
  });

  it('accepts a close paraphrase with nothing structurally different', () => {
    expect(verifier.verify('How do I reset my password?', { text: 'How can I reset my password?', similarity: 0.97 })).toEqual({
      accepted: true,
      reason: 'verified',
    });
  });

  it('names the guard that vetoed a near-identical but different question', () => {
    const v = verifier.verify('How do I disable 2FA?', { text: 'How do I enable 2FA?', similarity: 0.99 });
    expect(v).toEqual({ accepted: false, reason: 'antonym_mismatch' });
    expect(verifier.verify('Hotels in Paris', { text: 'Hotels in Rome', similarity: 0.95 }).reason).toBe('entity_mismatch');
  });

  it('rejects a NaN similarity rather than serving it', () => {
    expect(verifier.verify('a', { text: 'a', similarity: Number.NaN }).accepted).toBe(false);
  });

  it('can run with a subset of guards, and rejects unknown guard names', () => {
    const numbersOnly = createVerifier({ threshold: 0.5, guards: ['number_mismatch'] });
    expect(numbersOnly.verify('How do I disable 2FA?', { text: 'How do I enable 2FA?', similarity: 0.99 }).accepted).toBe(true);
    expect(() => createVerifier({ threshold: 0.5, guards: ['no_such_guard'] })).toThrow(/unknown verifier guard/);
  });

  it('keeps the opt-in guard out of the defaults', () => {
    expect(GUARD_NAMES).toContain('added_detail');
    expect(DEFAULT_GUARDS).not.toContain('added_detail');
    expect(DEFAULT_SIMILARITY_THRESHOLD).toBeGreaterThan(0.5);
  });
});
