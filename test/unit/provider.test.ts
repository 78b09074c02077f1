/**
 * The provider client keeps one OpenAI client per upstream key (building one
 * per call cost a quarter of a millisecond of every miss): each call still goes
 * out with its own caller's key, never another's. Real HTTP upstream.
 */
import { OpenAIProvider } from '../../src/provider/provider';
import { FakeUpstream } from '../support/upstream';

const upstream = new FakeUpstream();
beforeAll(() => upstream.start());
afterAll(() => upstream.stop());

test("calls with different keys, in any order, each carry their own caller's key", async () => {
  const provider = new OpenAIProvider({ baseURL: upstream.url, timeoutMs: 5_000 });
  const ask = (key: string | undefined) => provider.complete({ model: 'test-model', messages: [{ role: 'user', content: `from ${key}` }] }, key);
  for (const key of ['sk-alice', 'sk-bob', 'sk-alice', undefined, 'sk-bob']) await ask(key);
  const sent = upstream.received.map((r) => r.headers.authorization);
  expect(sent).toEqual(['Bearer sk-alice', 'Bearer sk-bob', 'Bearer sk-alice', 'Bearer reflex-no-key', 'Bearer sk-bob']);
});
