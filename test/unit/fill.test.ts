import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import pino from 'pino';
import { ExactCache } from '../../src/cache/l1/exactCache';
import { FileEntryStore } from '../../src/cache/storage/fileEntryStore';
import { FileOutbox } from '../../src/miss/outbox/fileOutbox';
import { Metrics } from '../../src/metrics';
import { TemporalHealth } from '../../src/miss/health';
import { MissPath } from '../../src/miss/missPath';
import { UpstreamError, failureOf } from '../../src/provider/failure';
import { FillAnswer, FillClient, toGatewayError } from '../../src/miss/fillClient';
import { MissSpec } from '../../src/miss/missSpec';
import { Provider, classify } from '../../src/provider/provider';
import { TokenSeal } from '../../src/provider/credentials';
import { isCacheable } from '../../src/provider/cacheability';
import { PROVIDER_FAILURE_TYPE } from '../../src/workflows/definitions';
import { fake } from '../support/fake';

const failed = (status: number, retryAfter?: string) =>
  new WorkflowUpdateFailedError(
    'update failed',
    ApplicationFailure.create({
      type: PROVIDER_FAILURE_TYPE,
      message: 'x',
      details: [{ status, retryable: status >= 500, retryAfter, body: { error: { message: 'provider says no', type: 't', param: 'p', code: 'c' } } }],
    }),
  );

describe('provider failures as the client sees them', () => {
  test('4xx keeps the status and the provider error object', () => {
    const e = toGatewayError(failed(401));
    expect(e.status).toBe(401);
    expect(e.toBody()).toEqual({ error: { message: 'provider says no', type: 't', param: 'p', code: 'c' } });
  });

  test('429 keeps Retry-After', () => {
    const e = toGatewayError(failed(429, '7'));
    expect(e.status).toBe(429);
    expect(e.headers['Retry-After']).toBe('7');
  });

  test('5xx and transport failures become 502', () => {
    expect(toGatewayError(failed(500)).status).toBe(502);
    expect(toGatewayError(failed(0)).status).toBe(502);
  });

  test('anything else (Temporal unreachable) is a 503', () => {
    expect(toGatewayError(new Error('14 UNAVAILABLE')).status).toBe(503);
  });
});

describe('provider error classification', () => {
  const apiError = (status: number) => OpenAI.APIError.generate(status, { error: { message: 'm', type: 'x' } }, 'm', new Headers({ 'retry-after': '3' }));
  test.each([
    [400, false], [401, false], [404, false], [408, true], [429, true], [500, true], [503, true],
  ])('status %d retryable=%s', (status, retryable) => {
    const f = classify(apiError(status));
    expect(f.status).toBe(status);
    expect(f.retryable).toBe(retryable);
  });
  test('a transport error is retryable with status 0', () => {
    expect(classify(new Error('ECONNREFUSED'))).toMatchObject({ status: 0, retryable: true });
  });
});

describe('cacheability', () => {
  const answer = (...finish: string[]) => ({ choices: finish.map((f) => ({ finish_reason: f })) });
  test('complete answers are cached; truncated or filtered ones are not', () => {
    expect(isCacheable(answer('stop'))).toBe(true);
    expect(isCacheable(answer('tool_calls'))).toBe(true);
    expect(isCacheable(answer('length'))).toBe(false);
    expect(isCacheable(answer('stop', 'content_filter'))).toBe(false);
    expect(isCacheable({ choices: [] })).toBe(false);
  });
});

describe('token sealing', () => {
  test('round-trips and never contains the token in the clear', () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'reflex-seal-'));
    const seal = TokenSeal.fromConfig(undefined, home);
    const sealed = seal.seal('sk-very-secret');
    expect(sealed).not.toContain('sk-very-secret');
    expect(TokenSeal.fromConfig(undefined, home).unseal(sealed)).toBe('sk-very-secret');
    expect(readFileSync(path.join(home, 'token.key'), 'utf8')).not.toContain('sk-');
  });

  test('a tampered seal is rejected', () => {
    const seal = new TokenSeal(Buffer.alloc(32, 1));
    const sealed = Buffer.from(seal.seal('t'), 'base64');
    sealed[sealed.length - 1]! ^= 1;
    expect(() => seal.unseal(sealed.toString('base64'))).toThrow();
  });
});

describe('the miss path: coalescing, degraded mode, read-your-writes', () => {
  const tenant = 'a'.repeat(16);
  const spec = (extra: Partial<MissSpec> = {}): MissSpec => ({
    tenant, key: 'b'.repeat(64), context: 'c', model: 'm', semanticText: 'q', request: { model: 'm', messages: [] }, ...extra,
  });
  const answer = (id: string) => ({ id, choices: [{ index: 0, message: { role: 'assistant', content: id }, finish_reason: 'stop' }] });

  function setup(fill: Partial<FillClient>, outboxRoot?: string) {
    const root = mkdtempSync(path.join(os.tmpdir(), 'reflex-miss-'));
    const exact = new ExactCache(new FileEntryStore(root), 100);
    const provider = { complete: jest.fn(async (_request: Record<string, unknown>, _apiKey: string | undefined) => answer('direct')), stream: jest.fn() };
    const metrics = new Metrics();
    const miss = new MissPath({
      fill: fake<FillClient>(fill, 'fill'), provider: fake<Provider>(provider, 'provider'), outbox: new FileOutbox(outboxRoot ?? root), exact,
      health: new TemporalHealth(), metrics, log: pino({ level: 'silent' }), maxAttempts: 1,
    });
    return { miss, exact, provider, root, metrics };
  }

  test('concurrent identical misses share one fill; a refresh never joins; a finished flight is not reused', async () => {
    const pending: (() => void)[] = [];
    const fill = jest.fn(() => new Promise<FillAnswer>((resolve) => pending.push(() => resolve({ response: answer('via-fill'), workflowId: 'w', timing: {} }))));
    const { miss } = setup({ fill });
    const first = miss.answer(spec(), undefined);
    const second = miss.answer(spec(), undefined);
    const refresh = miss.answer(spec({ replace: true }), undefined);
    await new Promise((r) => setImmediate(r));
    expect(fill).toHaveBeenCalledTimes(2); // the first, and the refresh
    pending.forEach((release) => release());
    // The follower gets the leader's answer, and says it joined (saved, not paid); the leader paid.
    await expect(second).resolves.toEqual({ ...(await first), joined: true });
    expect((await first).joined).toBeUndefined();
    await refresh;
    const later = miss.answer(spec(), undefined); // not looked up (no-cache): it may not be served the landed answer
    await new Promise((r) => setImmediate(r));
    expect(fill).toHaveBeenCalledTimes(3);
    pending.forEach((release) => release());
    await expect(later).resolves.toMatchObject({ completion: { id: 'via-fill' }, workflowId: 'w' });
  });

  test('a JSON miss joins a flight a stream leads (mixed callers, one provider call)', async () => {
    const fill = jest.fn();
    const { miss } = setup({ fill });
    const streamLeader = miss.flights.lead(MissPath.flightKey(spec()));
    const json = miss.answer(spec(), undefined);
    streamLeader.settle({ outcome: { completion: answer('streamed') as never, workflowId: 'w' } });
    await expect(json).resolves.toMatchObject({ completion: { id: 'streamed' }, workflowId: 'w' });
    expect(fill).not.toHaveBeenCalled();
  });

  test('a miss whose lookup ran before an identical flight settled is answered from that flight, not paid again', async () => {
    const fill = jest.fn(async () => ({ response: answer('via-fill'), workflowId: 'w', timing: {} }));
    const { miss, metrics } = setup({ fill });
    await miss.answer(spec(), undefined, true); // the flight settles; its answer is provisional in L1
    const coalesced = (await metrics.coalesced.get()).values[0]?.value ?? 0;
    await expect(miss.answer(spec(), undefined, true)).resolves.toEqual({ completion: answer('via-fill'), joined: true });
    expect(fill).toHaveBeenCalledTimes(1);
    expect((await metrics.coalesced.get()).values[0]?.value).toBe(coalesced + 1);
    // A refresh, a no-store request and one that was not looked up still ask the provider.
    for (const [extra, lookedUp] of [[{ replace: true }, true], [{ store: false }, true], [{}, false]] as const) await miss.answer(spec(extra), undefined, lookedUp);
    expect(fill).toHaveBeenCalledTimes(4);
  });

  test('an answer is an exact hit in this process at once (read-your-writes), before anything is stored', async () => {
    const { miss, exact } = setup({ fill: async () => ({ response: answer('fresh'), workflowId: 'w', timing: {} }) });
    await miss.answer(spec(), undefined);
    await expect(exact.get(tenant, 'b'.repeat(64))).resolves.toMatchObject({ response: { id: 'fresh' } });
    await miss.answer(spec({ key: 'c'.repeat(64), store: false }), undefined);
    await expect(exact.get(tenant, 'c'.repeat(64))).resolves.toBeUndefined();
  });

  test('Temporal unreachable: the provider answers directly and the answer goes to the outbox, with no fill id', async () => {
    const unreachable = jest.fn(async () => Promise.reject(new Error('14 UNAVAILABLE: No connection established')));
    const handOff = jest.fn(unreachable);
    const { miss, provider, root } = setup({ fill: unreachable, handOff });
    const outcome = await miss.answer(spec({ caller: 'docs-bot' }), 'sk-x');
    expect(outcome).toMatchObject({ completion: { id: 'direct' }, degraded: 'outbox' });
    expect(outcome.workflowId).toBeUndefined();
    expect(provider.complete).toHaveBeenCalledWith(spec().request, 'sk-x');
    // The key's name travels with the record, so the drained fill's summary names it.
    await expect(new FileOutbox(root).read(tenant, 'b'.repeat(64))).resolves.toMatchObject({ answer: { id: 'direct' }, context: 'c', caller: 'docs-bot' });
  });

  test('Temporal unreachable and the entry store unwritable: still answered, and it says not-stored', async () => {
    const unreachable = async () => Promise.reject(new Error('14 UNAVAILABLE'));
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'reflex-miss-')), 'not-a-dir');
    writeFileSync(file, 'x');
    const { miss } = setup({ fill: unreachable, handOff: unreachable } as unknown as Partial<FillClient>, file);
    await expect(miss.answer(spec(), undefined)).resolves.toMatchObject({ completion: { id: 'direct' }, degraded: 'not-stored' });
  });

  test('a provider error in degraded mode keeps the error contract', async () => {
    const unreachable = async () => Promise.reject(new Error('14 UNAVAILABLE'));
    const { miss, provider } = setup({ fill: unreachable, handOff: unreachable });
    provider.complete.mockRejectedValueOnce(new UpstreamError(failureOf(400, { message: 'bad', type: 'invalid_request_error' }, 'bad')));
    await expect(miss.answer(spec(), undefined)).rejects.toMatchObject({ status: 400, message: 'bad' });
  });
});
