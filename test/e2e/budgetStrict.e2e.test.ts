/**
 * The error budget's strict start through the real stack (issue 28):
 * Temporal dev server, Milvus Lite, the gateway as its own process, an HTTP
 * upstream that answers each labelled paraphrase pair with one answer of its
 * own. With REFLEX_MAX_WRONG_HITS set and no audits at all, a tenant is served
 * no semantic hit until its free judgements (each candidate the floor
 * refused, judged by the worker against the answer its miss paid for) show a
 * floor within δ; then hits at or above that floor are served, for that
 * tenant only. δ = 0.6 here so that nine clean judgements open it (α split
 * over the grid's 20 floors from 0.80: the likelihood ratio of 0 wrong of 8
 * is 334, of 9 is 737, against 20 / α = 400); at δ = 0.02 it takes about 400.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ask, ChatResponse } from '../support/gateway';
import { useGateway } from '../support/harness';
import { eventually } from '../support/eventually';

/** Paraphrase pairs from test/data/adversarial.jsonl (kind "paraphrase"), each served at the guards' floor. */
const PAIRS: Array<[string, string]> = [
  ['How do I reset my password?', 'How can I reset my password?'],
  ['What is the capital of France?', "What's the capital of France?"],
  ['How do I sort a list in descending order in Python?', 'How can I sort a list in descending order in Python?'],
  ['How do I convert JSON to YAML?', 'How can I convert JSON to YAML?'],
  ['Why is the sky blue?', 'Why is the sky blue in color?'],
  ['What is machine learning?', 'What is machine learning exactly?'],
  ['How do I install Node.js on Ubuntu?', 'How can I install Node.js on Ubuntu?'],
  ['How do I enable two-factor authentication on my Google account?', 'How can I enable two-factor authentication on my Google account?'],
  ['How do I lose weight fast?', 'How can I lose weight quickly?'],
];
const ANSWERS = new Map(PAIRS.flatMap(([a, b], i) => [[a, `answer ${i}`], [b, `answer ${i}`]] as const));

const BASE = 0.8;
const ADMIN = 'admin-budget-strict-e2e-token';
const h = useGateway({ REFLEX_MAX_WRONG_HITS: '0.6', REFLEX_SIMILARITY_THRESHOLD: String(BASE), REFLEX_AUDIT_RATE: '0', REFLEX_ADMIN_TOKEN: ADMIN });

const status = (res: ChatResponse) => res.headers.get('x-reflex-status');
const floorOf = (tenant: string) => h.gateway.metric('reflex_semantic_floor', `tenant="${tenant}"`);
const verdicts = (tenant: string) => readFileSync(path.join(h.stack.home, 'data', 'verdicts', `${tenant}.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

beforeAll(() => {
  h.upstream.answerOf = (question) => ANSWERS.get(question) ?? ANSWERS.get(question.replace(/ please$/, ''));
});

/** A question, its fill awaited: the next one sees its entry. */
async function missed(question: string, token: string): Promise<ChatResponse> {
  const res = await h.gateway.chat(ask(question), token);
  expect(status(res)).toBe('MISS');
  await h.gateway.awaitFill(res);
  return res;
}

test('no semantic hit until free judgements open the floor; then the tenant is served at or above it', async () => {
  const S = h.gateway.tenantOf('tenant-s');
  for (const [i, [original, paraphrase]] of PAIRS.entries()) {
    // Eight clean judgements are one too few, and the dashboard says so.
    if (i === PAIRS.length - 1) {
      expect(await floorOf(S)).toBe(Infinity);
      const overview = await h.gateway.request('GET', '/admin/overview', undefined, ADMIN);
      const { estimates } = (overview.body as { wrongHits: { estimates: { tenant: string; judged: number; toOpen?: number }[] } }).wrongHits;
      expect(estimates.find((e) => e.tenant === S)).toMatchObject({ judged: PAIRS.length - 1, toOpen: 1 });
    }
    await missed(original, 'tenant-s');
    // Closed: the paraphrase is a miss (the provider answers) and its candidate a free judgement.
    const refused = await missed(paraphrase, 'tenant-s');
    expect(refused.body).toMatchObject({ choices: [{ message: { content: ANSWERS.get(paraphrase) } }] });
  }
  expect(h.upstream.calls).toBe(2 * PAIRS.length);

  const judged = verdicts(S);
  expect(judged).toHaveLength(PAIRS.length);
  expect(judged.every((v) => v.source === 'free' && v.wrong === false && v.tenant === S)).toBe(true);
  const lowest = Math.min(...judged.map((v) => v.similarity));
  expect(lowest).toBeGreaterThanOrEqual(BASE);
  // Read by the API at each scrape: every candidate at or above the configured floor was judged, so that floor opens.
  await eventually(async () => (await floorOf(S)) === BASE, { ms: 15_000, everyMs: 250, what: "tenant S's floor opened" });
  expect(await h.gateway.metric('reflex_audited_hits', `tenant="${S}"`)).toBe(0); // free judgements are not audits

  // Open: a near-identical rewording of a stored question is served; another tenant is still closed.
  const probe = `${PAIRS[0]![0]} please`;
  const served = await h.gateway.chat(ask(probe), 'tenant-s');
  expect(status(served)).toBe('HIT_L3_VERIFIED');
  expect(Number(served.headers.get('x-reflex-similarity'))).toBeGreaterThanOrEqual(BASE);
  expect(served.body).toMatchObject({ choices: [{ message: { content: 'answer 0' } }] });
  await missed(PAIRS[0]![0], 'tenant-t');
  await missed(probe, 'tenant-t');
  expect(await floorOf(h.gateway.tenantOf('tenant-t'))).toBe(Infinity);
});
