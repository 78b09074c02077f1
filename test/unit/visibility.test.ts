/** Workflows are labelled with search attributes only where the cluster has them all registered. */
import type { Connection } from '@temporalio/client';
import pino from 'pino';
import { VisibilitySupport } from '../../src/temporal/visibilitySupport';
import { OPTIONAL_ATTRIBUTE_NAMES, REFLEX_ATTRIBUTE_NAMES, searchAttributeFlags, startAttributes } from '../../src/workflows/visibility';

const connection = (list: () => Promise<{ customAttributes: Record<string, number> }>) =>
  ({ operatorService: { listSearchAttributes: jest.fn(list) } }) as unknown as Connection & { operatorService: { listSearchAttributes: jest.Mock } };
const log = pino({ level: 'silent' });

test('all registered: labelled, and not asked again', async () => {
  const c = connection(async () => ({ customAttributes: Object.fromEntries(REFLEX_ATTRIBUTE_NAMES.map((n) => [n, 2])) }));
  const v = new VisibilitySupport(c, 'default', log);
  expect(await v.available()).toBe(true);
  expect(await v.available()).toBe(true);
  expect(c.operatorService.listSearchAttributes).toHaveBeenCalledTimes(1);
});

test('missing on an existing cluster: memo only, asked again later', async () => {
  const c = connection(async () => ({ customAttributes: { ReflexTenant: 2 } }));
  const v = new VisibilitySupport(c, 'default', log);
  expect(await v.available()).toBe(false);
  expect(await v.available()).toBe(false);
  expect(c.operatorService.listSearchAttributes).toHaveBeenCalledTimes(1);
});

test('an optional attribute missing (ReflexOrigin, added later): the core ones still label, the optional one is known absent', async () => {
  const core = REFLEX_ATTRIBUTE_NAMES.filter((n) => !OPTIONAL_ATTRIBUTE_NAMES.includes(n));
  const v = new VisibilitySupport(connection(async () => ({ customAttributes: Object.fromEntries(core.map((n) => [n, 2])) })), 'default', log);
  expect(await v.available()).toBe(true);
  expect(v.has('ReflexOrigin')).toBe(false);
  const all = new VisibilitySupport(connection(async () => ({ customAttributes: Object.fromEntries(REFLEX_ATTRIBUTE_NAMES.map((n) => [n, 2])) })), 'default', log);
  expect(await all.available()).toBe(true);
  expect(all.has('ReflexOrigin')).toBe(true);
});

test('a fill\'s origin is an attribute only when given', () => {
  const names = (labels: Parameters<typeof startAttributes>[0]) => startAttributes(labels).map((a) => `${a.key.name}=${a.value}`);
  expect(names({ tenant: 't', kind: 'fill', origin: 'outbox' })).toContain('ReflexOrigin=outbox');
  expect(names({ tenant: 't', kind: 'fill' }).some((n) => n.startsWith('ReflexOrigin'))).toBe(false);
});

test('Temporal unreachable: not labelled, and not remembered', async () => {
  const c = connection(async () => Promise.reject(new Error('unavailable')));
  const v = new VisibilitySupport(c, 'default', log);
  expect(await v.available()).toBe(false);
  await v.available();
  expect(c.operatorService.listSearchAttributes).toHaveBeenCalledTimes(2);
});

test('the dev server flags register every attribute as Keyword', () => {
  expect(searchAttributeFlags()).toEqual(['ReflexTenant=Keyword', 'ReflexModel=Keyword', 'ReflexKey=Keyword', 'ReflexKind=Keyword', 'ReflexOutcome=Keyword', 'ReflexOrigin=Keyword']);
});
