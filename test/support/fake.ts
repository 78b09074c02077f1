/**
 * Fakes that cannot drift from the types they stand in for. `fake<T>(members)`
 * checks each member a test provides against T's own declaration (a cast
 * through `unknown` checked nothing), and a member the code under test
 * reaches that the test did not provide throws, naming it, instead of reading
 * as undefined (which once made three API tests fail far from the cause, one
 * by hanging for 120 s).
 */
import type { ApiServices } from '../../src/services';

/** Read on any value that is awaited or printed: answered, never faked. */
const PROBED = new Set(['then', 'toJSON', 'asymmetricMatch', '$$typeof', 'nodeType']);

export function fake<T extends object>(members: Partial<T>, name = 'fake'): T {
  return new Proxy(members, {
    get(target, prop, receiver) {
      if (typeof prop === 'symbol' || prop in target || PROBED.has(prop)) return Reflect.get(target, prop, receiver);
      throw new Error(`${name}.${prop} is not faked, but the code under test reached it`);
    },
  }) as T;
}

type Basics = Pick<ApiServices, 'config' | 'log' | 'metrics'>;

/**
 * ApiServices for the real Koa app in-process: what the test passes, and for
 * every other stage the app wires up at construction a fake with no members,
 * so a test that reaches one fails naming it.
 */
export function apiServices(given: Basics & Partial<ApiServices>): ApiServices {
  const none = <K extends keyof ApiServices>(name: K) => fake<NonNullable<ApiServices[K]>>({}, name);
  const wiredOnly: Partial<ApiServices> = {
    tracing: undefined,
    database: undefined,
    // Absent as in production while REFLEX_AUDIT_RATE is 0 (the default).
    audits: undefined,
    embedder: none('embedder'),
    store: none('store'),
    blobs: none('blobs'),
    outbox: none('outbox'),
    expiry: none('expiry'),
    index: none('index'),
    provider: none('provider'),
    seal: none('seal'),
    codec: none('codec'),
    vectors: none('vectors'),
    exact: none('exact'),
    lookup: none('lookup'),
    temporal: none('temporal'),
    fill: none('fill'),
    health: none('health'),
    miss: none('miss'),
    admission: none('admission'),
    maintenance: none('maintenance'),
    embeddings: none('embeddings'),
    keys: none('keys'),
    tenants: none('tenants'),
    auth: none('auth'),
    limiter: none('limiter'),
    verifier: none('verifier'),
    usage: none('usage'),
    close: async () => undefined,
  };
  return fake<ApiServices>({ ...wiredOnly, ...given }, 'services');
}
