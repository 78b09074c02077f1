/**
 * An API and a worker with different REFLEX_TOKEN_KEY values: the worker
 * cannot open the sealed caller token. That is a deployment error, so it is
 * never retried, never blamed on the provider, logged at error level, and the
 * client gets a 500 that says what to fix.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { ActivityDeps, createActivities } from '../../src/activities';
import { TokenSeal } from '../../src/provider/credentials';
import type { Provider } from '../../src/provider/provider';
import { fake } from '../support/fake';
import { toGatewayError } from '../../src/miss/fillClient';
import { activityLogs } from '../../src/temporal/logs';
import { PROVIDER_FAILURE_TYPE } from '../../src/workflows/definitions';

const apiSeal = new TokenSeal(randomBytes(32));
const workerSeal = new TokenSeal(randomBytes(32));

async function mismatch(): Promise<ApplicationFailure> {
  const provider = { complete: jest.fn(), stream: jest.fn() };
  const acts = createActivities(fake<ActivityDeps>({ provider: fake<Provider>(provider, 'provider'), upstreamKey: undefined, seal: workerSeal }, 'deps'));
  const err = await acts.callProvider({ request: {}, sealedToken: apiSeal.seal('sk-caller') }).then(() => undefined, (e: unknown) => e);
  expect(provider.complete).not.toHaveBeenCalled();
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

test('the provider activity fails once, non-retryable, with its own type', async () => {
  const err = await mismatch();
  expect(err.type).toBe('TokenKeyMismatch');
  expect(err.nonRetryable).toBe(true);
  expect(err.message).toMatch(/REFLEX_TOKEN_KEY/);
  expect(err.message).not.toMatch(/sk-caller/);
});

test('the client sees a 500 server_error token_key_mismatch, not a 502 provider failure', async () => {
  const failure = (await mismatch()).details?.[0];
  const update = new WorkflowUpdateFailedError('update failed', ApplicationFailure.create({ type: PROVIDER_FAILURE_TYPE, message: 'x', nonRetryable: true, details: [failure] }));
  const e = toGatewayError(update);
  expect(e.status).toBe(500);
  expect(e.toBody().error).toMatchObject({ type: 'server_error', code: 'token_key_mismatch' });
  expect(e.message).toMatch(/API and the worker have different REFLEX_TOKEN_KEY/);
});

test('the same key on both sides still opens the token', () => {
  expect(apiSeal.unseal(apiSeal.seal('sk-caller'))).toBe('sk-caller');
});

test('the worker logs it at error level, other activity failures at warn', async () => {
  const lines: Array<{ level: number; msg: string }> = [];
  const log = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) }));
  const ctx = { info: { activityType: 'callProvider', attempt: 1, workflowExecution: { workflowId: 'w' } } } as never;
  const inbound = activityLogs(log)(ctx).inbound!;
  const fail = (err: Error) => inbound.execute!({ args: [{}], headers: {} }, () => Promise.reject(err)).catch(() => undefined);
  await fail(await mismatch());
  await fail(new Error('provider 503'));
  expect(lines.map((l) => [l.level, l.msg])).toEqual([[50, 'activity failed'], [40, 'activity failed']]);
});
