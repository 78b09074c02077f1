/**
 * What a fill start hands Temporal besides its input: the static summary and
 * details the UI shows, and ReflexOrigin where the cluster registered it.
 */
import type { Client } from '@temporalio/client';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileBlobStore } from '../../src/cache/storage/fileBlobStore';
import { FileEntryStore } from '../../src/cache/storage/fileEntryStore';
import { FillClient } from '../../src/miss/fillClient';
import { MissSpec } from '../../src/miss/missSpec';
import type { VisibilitySupport } from '../../src/temporal/visibilitySupport';
import { fake } from '../support/fake';

const root = mkdtempSync(path.join(os.tmpdir(), 'fill-start-'));
const spec: MissSpec = {
  tenant: 'a'.repeat(16), key: 'b'.repeat(64), context: 'c', model: 'gpt-4o-mini', semanticText: 'Which river flows through Basel?',
  request: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Which river flows through Basel?' }] }, caller: 'docs-bot (team-a)', lookupMs: 2,
};
const answer = { id: 'x', choices: [{ index: 0, message: { role: 'assistant', content: 'The Rhine.' }, finish_reason: 'stop' }] } as never;

function fillClient(origin: boolean) {
  const start = jest.fn(async (_type: string, _options: Record<string, any>) => ({}));
  const client = { workflow: { start } } as unknown as Client;
  const visibility = fake<VisibilitySupport>({ available: async () => true, has: () => origin }, 'visibility');
  const fill = new FillClient(client, new FileBlobStore(root), new FileEntryStore(root), { taskQueue: 'q', deadlineMs: 5_000, policy: { providerMaxAttempts: 1, providerTimeoutMs: 1, indexMaxAttempts: 0 } }, visibility);
  return { fill, options: () => start.mock.calls[0]![1] };
}

const attributes = (options: Record<string, any>) => Object.fromEntries(options.typedSearchAttributes.map((a: any) => [a.key.name, a.value]));

test('an outbox drain names itself, its key and question, and carries the answer in its details', async () => {
  const { fill, options } = fillClient(true);
  await fill.handOff(spec, answer, true);
  expect(options().staticSummary).toBe('outbox drain · gpt-4o-mini · docs-bot (team-a) · “Which river flows through Basel?”');
  expect(options().staticDetails).toContain('**Answer**');
  expect(options().staticDetails).toContain('“The Rhine.”');
  expect(attributes(options())).toMatchObject({ ReflexKind: 'fill', ReflexOrigin: 'outbox', ReflexModel: 'gpt-4o-mini' });
});

test('a streamed refresh hand-off: kind refresh (stream), origin refresh', async () => {
  const { fill, options } = fillClient(true);
  await fill.handOff({ ...spec, replace: true }, answer);
  expect(options().staticSummary).toMatch(/^refresh \(stream\) · gpt-4o-mini/);
  expect(options().workflowId).toMatch(/^refresh-/);
  expect(attributes(options()).ReflexOrigin).toBe('refresh');
});

test('a cluster without ReflexOrigin gets the other attributes and the same summary', async () => {
  const { fill, options } = fillClient(false);
  await fill.handOff({ ...spec, endpoint: 'responses' }, answer);
  expect(options().staticSummary).toMatch(/^responses \(stream\)/);
  expect(attributes(options())).not.toHaveProperty('ReflexOrigin');
  expect(attributes(options())).toHaveProperty('ReflexKind', 'fill');
});
