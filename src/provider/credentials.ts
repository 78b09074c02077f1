/**
 * When no upstream key is configured the caller's own bearer token is
 * forwarded to the provider. The provider call runs in a Temporal activity,
 * and workflow inputs are stored in Temporal's history, so the token travels
 * sealed (AES-256-GCM): Temporal never holds it in the clear. The key comes
 * from REFLEX_TOKEN_KEY (base64, 32 bytes; set it on every API and worker
 * process) or, for the single-machine default, a 0600 file under REFLEX_HOME.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ProviderFailure } from './failure';

/** The failure type of a token sealed under another REFLEX_TOKEN_KEY (a deployment error, never retried). */
export const TOKEN_KEY_MISMATCH = 'TokenKeyMismatch';

/** A sealed token this process cannot open: the API that sealed it has a different REFLEX_TOKEN_KEY. */
export class TokenKeyMismatch extends Error {
  override name = 'TokenKeyMismatch';
  constructor() {
    super('The API and the worker have different REFLEX_TOKEN_KEY values, so the worker cannot open the caller token the API sealed; set the same key on every API and worker process.');
  }

  /**
   * As the fill workflow carries provider failures to the client: not
   * retryable, so the client gets this 500 as it is (see provider/failure),
   * instead of a 502 blaming the provider.
   */
  toFailure(): ProviderFailure {
    return { status: 500, retryable: false, body: { error: { message: this.message, type: 'server_error', param: null, code: 'token_key_mismatch' } } };
  }
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

export class TokenSeal {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('REFLEX_TOKEN_KEY must be 32 bytes (base64)');
  }

  static fromConfig(configured: string | undefined, home: string): TokenSeal {
    if (configured) return new TokenSeal(Buffer.from(configured, 'base64'));
    const file = path.join(home, 'token.key');
    mkdirSync(home, { recursive: true });
    // Written whole to a temp file, then linked into place: link fails if another
    // process (API or worker) got there first, and then we use theirs.
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, randomBytes(32).toString('base64'), { mode: 0o600 });
    try {
      linkSync(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      unlinkSync(tmp);
    }
    return new TokenSeal(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64'));
  }

  seal(token: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  /** Throws TokenKeyMismatch when the token was sealed under another key (GCM authentication fails). */
  unseal(sealed: string): string {
    const raw = Buffer.from(sealed, 'base64');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new TokenKeyMismatch();
    }
  }
}
