/** CacheLookup tells the embedder when other lookups run at once, so it can trade latency for CPU (OnnxEmbedder's one-thread session). */
import pino from 'pino';
import type { EmbedOptions, Embedder } from '../../src/cache/embedding/embedder';
import type { CacheIdentity } from '../../src/cache/keys/cacheKey';
import type { ExactCache } from '../../src/cache/l1/exactCache';
import type { SemanticLookup } from '../../src/cache/l2/semanticLookup';
import { CacheLookup } from '../../src/cache/lookup';
import type { Tenant } from '../../src/cache/keys/tenant';
import { fake } from '../support/fake';

test('the first lookup embeds uncontended; one that starts while another is in progress is contended', async () => {
  const seen: Array<boolean | undefined> = [];
  const embedder: Embedder = { dim: 2, embed: async (_text: string, options?: EmbedOptions) => (seen.push(options?.contended), new Float32Array([1, 0])) };
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  // The semantic stage of the first lookup waits, so the second starts while it is in progress.
  let calls = 0;
  const semantic = fake<SemanticLookup>({ find: async () => (calls++ === 0 ? (await held, undefined) : undefined) }, 'semantic');
  const exact = fake<ExactCache>({ getInMemory: () => undefined, get: async () => undefined }, 'exact');
  const lookup = new CacheLookup(exact, semantic, embedder, pino({ level: 'silent' }));
  const tenant = { id: 't' } as Tenant;
  const identity = (text: string) => ({ key: text, context: 'c', semanticText: text }) as CacheIdentity;

  const first = lookup.lookup(tenant, identity('first'));
  while (seen.length < 1) await new Promise((r) => setImmediate(r));
  await lookup.lookup(tenant, identity('second'));
  release();
  await first;
  await lookup.lookup(tenant, identity('third'));
  expect(seen).toEqual([false, true, false]);
});

test('misses in flight (the busy signal) make a lone lookup contended too', async () => {
  const seen: Array<boolean | undefined> = [];
  const embedder: Embedder = { dim: 2, embed: async (_text: string, options?: EmbedOptions) => (seen.push(options?.contended), new Float32Array([1, 0])) };
  const semantic = fake<SemanticLookup>({ find: async () => undefined }, 'semantic');
  const exact = fake<ExactCache>({ getInMemory: () => undefined, get: async () => undefined }, 'exact');
  let misses = 1;
  const lookup = new CacheLookup(exact, semantic, embedder, pino({ level: 'silent' }), () => misses > 0);
  const identity = { key: 'k', context: 'c', semanticText: 'q' } as CacheIdentity;
  await lookup.lookup({ id: 't' } as Tenant, identity);
  misses = 0;
  await lookup.lookup({ id: 't' } as Tenant, { ...identity, key: 'k2', semanticText: 'q2' });
  expect(seen).toEqual([true, false]);
});
