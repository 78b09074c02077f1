/** Forward-mode auth (today's default without an upstream key) for in-process apps: a real Authenticator over an empty key store. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Authenticator } from '../../src/auth/authenticate';
import { FileKeyStore } from '../../src/auth/fileKeyStore';
import { KeyRateLimiter } from '../../src/auth/rateLimit';
import { TenantHasher } from '../../src/cache/keys/tenant';

export function forwardAuth(): { auth: Authenticator; limiter: KeyRateLimiter } {
  const keys = new FileKeyStore(mkdtempSync(path.join(os.tmpdir(), 'reflex-test-keys-')));
  return { auth: new Authenticator('forward', keys, new TenantHasher(randomBytes(32)), undefined), limiter: new KeyRateLimiter() };
}
