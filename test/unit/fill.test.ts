import { Client, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { FillClient, toGatewayError } from '../../src/temporal/fillClient';
import { classify } from '../../src/provider/provider';
import { TokenSeal } from '../../src/provider/credentials';
import { isCacheable } from '../../src/workflows/cacheability';
import { FillInput, PROVIDER_FAILURE_TYPE } from '../../src/workflows/definitions';

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

describe('in-process coalescing of identical misses', () => {
  const input = (extra: Partial<FillInput> = {}): FillInput => ({
    tenant: 'a'.repeat(16), key: 'b'.repeat(64), context: 'c', model: 'm', semanticText: 'q',
    request: {}, policy: { providerMaxAttempts: 1, providerTimeoutMs: 1000, indexMaxAttempts: 0 }, ...extra,
  });

  test('concurrent identical misses share one update; a refresh never joins; a finished one is not reused', async () => {
    const pending: (() => void)[] = [];
    const update = jest.fn(() => new Promise((resolve) => pending.push(() => resolve({ id: 'answer' }))));
    const client = { workflow: { executeUpdateWithStart: update } } as unknown as Client;
    const coalesced = jest.fn();
    const fills = new FillClient(client, 'q', 10_000, undefined, coalesced);

    const first = fills.fill(input());
    const second = fills.fill(input());
    const refresh = fills.fill(input({ replace: true }));
    await new Promise((r) => setImmediate(r));
    expect(update).toHaveBeenCalledTimes(2); // the first, and the refresh
    expect(coalesced).toHaveBeenCalledTimes(1);
    pending.forEach((release) => release());
    await expect(first).resolves.toEqual(await second);
    await refresh.catch(() => undefined);

    const later = fills.fill(input());
    await new Promise((r) => setImmediate(r));
    expect(update).toHaveBeenCalledTimes(3);
    pending.forEach((release) => release());
    await expect(later).resolves.toMatchObject({ response: { id: 'answer' } });
  });
});
