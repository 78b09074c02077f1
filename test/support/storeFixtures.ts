/** Small builders shared by the storage tests (conformance, PostgreSQL, migrate-store). */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Entry } from '../../src/cache/storage/entry';
import type { OutboxRecord } from '../../src/miss/outbox/outbox';

export const tmp = (name: string) => mkdtempSync(path.join(os.tmpdir(), `reflex-${name}-`));

/** n as hex, zero-padded: tenants take 16 digits, keys 64. */
export const hex = (n: number, len = 16) => n.toString(16).padStart(len, '0');

export const entry = (tenant: string, key: string, content: string): Entry => ({
  version: 1, tenant, key, context: 'c'.repeat(16), model: 'm', createdAt: 1_700_000_000_000, semanticText: content,
  // Embeddings are float32 (the model's output), which both stores keep exactly.
  embedding: [0.5, -0.25, 0.125, Math.fround(1 / 3)],
  response: { id: 'x', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] },
});

export const outboxRecord = (tenant: string, key: string, answeredAt = Date.now()): OutboxRecord => ({
  version: 1, tenant, key, context: 'c', model: 'm', semanticText: 'q', request: { model: 'm' }, answer: entry(tenant, key, 'a').response, answeredAt,
});

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
