import { cacheIdentity } from '../../src/cache/keys/cacheKey';
import { canonicalJson } from '../../src/cache/keys/canonical';
import { createHash } from 'node:crypto';
import { bearerToken, TenantHasher } from '../../src/cache/keys/tenant';

const base = { model: 'm', messages: [{ role: 'user', content: 'How do I enable 2FA?' }] };

describe('canonical JSON', () => {
  test('sorts keys at every depth and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[{"y":2,"z":1}]},"b":1}');
  });
});

describe('cache identity', () => {
  test('field order does not change the key', () => {
    expect(cacheIdentity({ messages: base.messages, model: 'm' }).key).toBe(cacheIdentity(base).key);
  });

  test('sampling parameters are ignored by default and join the key when included', () => {
    const hot = { ...base, temperature: 1.5 };
    expect(cacheIdentity(hot).key).toBe(cacheIdentity(base).key);
    expect(cacheIdentity(hot, 'include').key).not.toBe(cacheIdentity(base, 'include').key);
  });

  test('n > 1 always joins the key (it changes the answer shape)', () => {
    expect(cacheIdentity({ ...base, n: 2 }).key).not.toBe(cacheIdentity(base).key);
    expect(cacheIdentity({ ...base, n: 1 }).key).toBe(cacheIdentity(base).key);
  });

  test('model, tools and response_format change both key and context', () => {
    for (const variant of [{ ...base, model: 'other' }, { ...base, tools: [{ type: 'function', function: { name: 'f' } }] }, { ...base, response_format: { type: 'json_object' } }]) {
      const id = cacheIdentity(variant);
      expect(id.key).not.toBe(cacheIdentity(base).key);
      expect(id.context).not.toBe(cacheIdentity(base).context);
    }
  });

  test('the semantic text is the last user turn; the rest is context', () => {
    const a = cacheIdentity({ model: 'm', messages: [{ role: 'system', content: 'Be terse.' }, { role: 'user', content: 'What is 2FA?' }] });
    const b = cacheIdentity({ model: 'm', messages: [{ role: 'system', content: 'Be terse.' }, { role: 'user', content: 'Explain 2FA' }] });
    const c = cacheIdentity({ model: 'm', messages: [{ role: 'system', content: 'Answer in French.' }, { role: 'user', content: 'What is 2FA?' }] });
    expect(a.semanticText).toBe('What is 2FA?');
    expect(a.context).toBe(b.context);
    expect(a.context).not.toBe(c.context);
  });

  test('everything but the last user turn\'s text is in the exact part: a hit never changes what the request asked for', () => {
    const q = { role: 'user', content: 'What is 2FA?' };
    const plain = cacheIdentity({ model: 'm', messages: [q] });
    const variants = [
      { tools: [{ type: 'function', function: { name: 'f' } }] },
      { tool_choice: 'required' },
      { tool_choice: { type: 'function', function: { name: 'f' } } },
      { response_format: { type: 'json_schema', json_schema: { name: 's', schema: {} } } },
      { messages: [{ role: 'system', content: 'Answer in French.' }, q] },
      { messages: [{ role: 'developer', content: 'Be terse.' }, q] },
      { messages: [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello!' }, q] },
      { messages: [q, { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] }, { role: 'tool', tool_call_id: 'c', content: '42' }] },
      { messages: [{ ...q, name: 'alice' }] },
    ];
    for (const variant of variants) {
      const id = cacheIdentity({ model: 'm', messages: [q], ...variant });
      expect(id.semanticText).toBe('What is 2FA?');
      expect(id.context).not.toBe(plain.context);
    }
  });

  test('non-text parts of the last user turn stay in the context', () => {
    const withImage = (url: string) => ({ model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url } }] }] });
    const a = cacheIdentity(withImage('http://x/1.png'));
    const b = cacheIdentity(withImage('http://x/2.png'));
    expect(a.semanticText).toBe('What is this?');
    expect(a.context).not.toBe(b.context);
  });
});

describe('tenants', () => {
  const tenants = new TenantHasher(Buffer.alloc(32, 7));

  test('the tenant is a keyed hash of the token: not the token, not its plain sha256', () => {
    const t = tenants.forToken('sk-secret-token');
    expect(t.id).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.stringify(t)).not.toContain('secret');
    expect(t.id).not.toBe(createHash('sha256').update('sk-secret-token').digest('hex').slice(0, 16));
    expect(tenants.forToken('sk-other').id).not.toBe(t.id);
    // Another server secret, another id: a guessed token confirms nothing without the secret.
    expect(new TenantHasher(Buffer.alloc(32, 8)).forToken('sk-secret-token').id).not.toBe(t.id);
  });

  test('no token is one anonymous tenant, distinct from any token', () => {
    expect(tenants.forToken(undefined).id).toBe(tenants.anonymous().id);
    expect(tenants.forToken(undefined).id).not.toBe(tenants.forToken('').id);
    expect(tenants.forToken('anonymous').id).not.toBe(tenants.anonymous().id);
  });

  test('a namespace and a token with the same text are different tenants', () => {
    expect(tenants.forNamespace('team-a').id).toBe(tenants.forNamespace('team-a').id);
    expect(tenants.forNamespace('team-a').id).not.toBe(tenants.forToken('team-a').id);
  });

  test('bearer parsing', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer   abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
