/**
 * One end-to-end fixture per test file: the real stack (Temporal dev server,
 * Milvus Lite), the fake upstream over HTTP, and the gateway as a child
 * process pointed at both. Started before the file's tests, stopped after.
 */
import { GatewayProcess } from './gateway';
import { startStack, StackOptions, TestStack } from './stack';
import { FakeUpstream } from './upstream';

export interface Harness {
  stack: TestStack;
  upstream: FakeUpstream;
  gateway: GatewayProcess;
}

export function useGateway(env: Record<string, string> | ((stack: TestStack) => Record<string, string>) = {}, stackOptions: StackOptions = {}): Harness {
  const h = {} as Harness;
  beforeAll(async () => {
    h.stack = await startStack(stackOptions);
    h.upstream = new FakeUpstream();
    await h.upstream.start();
    h.gateway = new GatewayProcess(h.stack, { REFLEX_UPSTREAM_URL: h.upstream.url, REFLEX_CLIENT_DEADLINE_MS: '20000', ...(typeof env === 'function' ? env(h.stack) : env) });
    await h.gateway.start();
  }, 180_000);
  afterAll(async () => {
    await h.gateway?.stop();
    await h.upstream?.stop();
    await h.stack?.stop();
  });
  return h;
}
