/** What a fill shows in the Temporal UI's list (summary) and on its page (details). */
import { answerText, fillDetails, fillSummary } from '../../src/temporal/fillLabels';

const TENANT = '3f1c9a0b7d2e4f61';
const chat = (content: string) => ({ choices: [{ message: { role: 'assistant', content } }] });

test('a keyed chat miss: kind, model, key name and the first words of the question, no tenant hash', () => {
  const summary = fillSummary({ kind: 'chat', tenant: TENANT, model: 'gpt-4o-mini', caller: 'billing-bot (team-a)', question: 'How do I descale an espresso machine without vinegar or citric acid at home?' });
  expect(summary).toBe('chat · gpt-4o-mini · billing-bot (team-a) · “How do I descale an espresso machine without vinegar or…”');
  expect(summary).not.toContain(TENANT);
});

test('a forwarded token has no name: the short tenant id stands in', () => {
  expect(fillSummary({ kind: 'refresh', tenant: TENANT, model: 'm', question: 'Hi' })).toBe('refresh · m · tenant 3f1c9a0b · “Hi”');
});

test('streamed hand-offs, outbox drains and replays say so', () => {
  expect(fillSummary({ kind: 'responses', tenant: TENANT, model: 'm', streamed: true })).toMatch(/^responses \(stream\) · m/);
  expect(fillSummary({ kind: 'outbox drain', tenant: TENANT, model: 'm' })).toMatch(/^outbox drain · m/);
  expect(fillSummary({ kind: 'replay', tenant: TENANT })).toBe('replay · tenant 3f1c9a0b');
});

test('the summary stays one short line whatever the question', () => {
  const summary = fillSummary({ kind: 'chat', tenant: TENANT, model: 'x'.repeat(300), question: 'a\nb' });
  expect(summary.length).toBeLessThanOrEqual(160);
  expect(summary).not.toContain('\n');
});

test('details: question, sizes and the answer excerpt once the answer is known', () => {
  const request = { model: 'm', messages: [{ role: 'user', content: 'Why is the sky blue?' }] };
  const before = fillDetails({ question: 'Why is the sky blue?', request, lookupMs: 3.25 });
  expect(before).toContain('**Question** “Why is the sky blue?”');
  expect(before).toContain(`**Request** (${JSON.stringify(request).length} B)`);
  expect(before).toContain('from the provider, after this start: the input\'s `claimCheck.storedAnswer`');
  expect(before).toContain('3.3 ms');
  const after = fillDetails({ request, answer: chat('Rayleigh *scattering*.') });
  expect(after).toContain('“Rayleigh \\*scattering\\*.”');
  expect(fillDetails({ answer: { big: 'x'.repeat(20_000) } })).toMatch(/\*\*Answer\*\* \(19\.5 KiB\)/);
});

test('answer text of chat and Responses answers', () => {
  expect(answerText(chat('hi'))).toBe('hi');
  expect(answerText({ output_text: 'yo' })).toBe('yo');
  expect(answerText({ output: [{ content: [{ text: 'a' }, { text: 'b' }] }] })).toBe('a b');
  expect(answerText({ nothing: true })).toBeUndefined();
});
