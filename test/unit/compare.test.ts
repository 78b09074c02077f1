/** L3's rule that a hit never hinges on text the comparison did not see (issue 31): the differing spans and the window. */
import { difference } from '../../src/cache/l3/difference';
import { TextComparison } from '../../src/cache/l3/compare';
import { fakeEmbedder } from '../support/fakeEmbedder';

const DOC = 'The bridge opened in spring. Tolls were collected at the lodge.\nIt is lit at night.';

describe('difference: the whole sentences that differ', () => {
  test('a shared document before the question is set aside', () => {
    expect(difference(`${DOC}\n\nQuestion: When did it open?`, `${DOC}\n\nQuestion: Who built it?`)).toEqual({
      query: 'Question: When did it open?',
      candidate: 'Question: Who built it?',
      trimmed: true,
    });
  });

  test('a shared document after the question, and around it', () => {
    expect(difference(`When did it open? ${DOC}`, `Who built it? ${DOC}`)).toMatchObject({ query: 'When did it open?', candidate: 'Who built it?', trimmed: true });
    expect(difference(`${DOC} When did it open? ${DOC}`, `${DOC} Who built it? ${DOC}`)).toMatchObject({ query: 'When did it open?', candidate: 'Who built it?' });
  });

  test('a difference inside a sentence keeps the whole sentence', () => {
    expect(difference('I have a router. How do I reset it now?', 'I have a router. How can I reset it now?')).toEqual({
      query: 'How do I reset it now?',
      candidate: 'How can I reset it now?',
      trimmed: true,
    });
  });

  test('texts that share no whole sentence are compared whole', () => {
    expect(difference('How do I reset my router?', 'How can I reset my router?')).toEqual({ query: 'How do I reset my router?', candidate: 'How can I reset my router?', trimmed: false });
    // A stop without a space after it ("3.5") is not a sentence end.
    expect(difference('Is 3.5 more than 3.4?', 'Is 3.5 more than 3.6?').trimmed).toBe(false);
  });

  test('a sentence added at the end leaves the last shared sentence with it', () => {
    expect(difference('A is one. B is two.', 'A is one. B is two. C is three.')).toMatchObject({ query: 'B is two.', candidate: 'B is two. C is three.' });
  });

  test('full-width stops end sentences without a space', () => {
    expect(difference('東京は大きい。何時ですか？', '東京は大きい。誰ですか？')).toMatchObject({ query: '何時ですか？', candidate: '誰ですか？', trimmed: true });
  });
});

describe('TextComparison', () => {
  const long = (n: number, tag = 'a') => Array.from({ length: n }, (_, i) => `Sentence ${tag} ${i} is here.`).join(' ');

  test('judges the differing spans on their own embeddings', async () => {
    const embedder = fakeEmbedder();
    const r = await new TextComparison(embedder, false).compare(`${DOC} When did it open?`, `${DOC} Who built it?`, 0.999);
    expect(r).toEqual({ compared: { query: 'When did it open?', candidate: 'Who built it?', similarity: expect.any(Number) } });
    expect(embedder.embedded).toEqual(['When did it open?', 'Who built it?']);
    expect('compared' in r && r.compared.similarity).toBeLessThan(0.999);
  });

  test('whole texts keep their L2 cosine and cost no embedding', async () => {
    const embedder = fakeEmbedder();
    expect(await new TextComparison(embedder, false).compare('How do I reset it?', 'How can I reset it?', 0.98)).toEqual({
      compared: { query: 'How do I reset it?', candidate: 'How can I reset it?', similarity: 0.98 },
    });
    expect(embedder.embedded).toEqual([]);
  });

  test('a difference beyond the window is refused, whether the texts share sentences or not', async () => {
    const comparison = new TextComparison(fakeEmbedder(64), false);
    // 100 sentences of 5 words: no shared sentence at either end, so the whole texts are what differs.
    expect(await comparison.compare(`Q1 ${long(100)} end one`, `Q2 ${long(100)} end two`, 1)).toEqual({ refused: 'beyond_window' });
    // Shared at both ends, but the differing middle is longer than the window.
    expect(await comparison.compare(`${DOC} ${long(20, 'x')} ${DOC}`, `${DOC} ${long(20, 'y')} ${DOC}`, 1)).toEqual({ refused: 'beyond_window' });
    // The same texts with a short differing span are compared.
    expect(await comparison.compare(`${long(100)} When did it open?`, `${long(100)} Who built it?`, 1)).toMatchObject({ compared: { query: 'When did it open?' } });
  });

  test('a pair that fits one text at a time but not together is refused when the verifier reads pairs', async () => {
    // Spans of 10 five-word sentences: 52 tokens each, 103 as a pair, in a window of 64.
    const a = `${DOC} ${long(10, 'x')}`;
    const b = `${DOC} ${long(10, 'y')}`;
    expect(await new TextComparison(fakeEmbedder(64), false).compare(a, b, 1)).toHaveProperty('compared');
    expect(await new TextComparison(fakeEmbedder(64), true).compare(a, b, 1)).toEqual({ refused: 'beyond_window' });
  });

  test('identical texts differ nowhere, whatever their length; a one-sided difference is refused', async () => {
    const comparison = new TextComparison(fakeEmbedder(16), false);
    expect(await comparison.compare(long(50), long(50), 1)).toHaveProperty('compared');
    expect(await comparison.compare('A is one.\n', 'A is one.\nB', 1)).toEqual({ refused: 'one_sided' });
  });
});
