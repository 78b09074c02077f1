/**
 * When no upstream key is configured the caller's own bearer token is
 * forwarded to the provider. The provider call runs in a Temporal activity,
 * and workflow inputs are stored in Temporal's history, so the token travels
 * sealed (AES-256-GCM) under its own key, apart from the payload codec's:
 * even an operator who can decode payloads never sees it. The key comes from
 * REFLEX_TOKEN_KEY or, for the single-machine default, a 0600 file under
 * REFLEX_HOME (see secretKey.ts).
 */
import { decrypt, encrypt, KEY_BYTES, loadKey } from '../secretKey';
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

export class TokenSeal {
  constructor(private readonly key: Buffer) {
    if (key.length !== KEY_BYTES) throw new Error('REFLEX_TOKEN_KEY must be 32 bytes (base64)');
  }

  static fromConfig(configured: string | undefined, home: string): TokenSeal {
    return new TokenSeal(loadKey(configured, home, 'token.key'));
  }

  seal(token: string): string {
    return encrypt(this.key, Buffer.from(token, 'utf8')).toString('base64');
  }

  /** Throws TokenKeyMismatch when the token was sealed under another key (GCM authentication fails). */
  unseal(sealed: string): string {
    try {
      return decrypt(this.key, Buffer.from(sealed, 'base64')).toString('utf8');
    } catch {
      throw new TokenKeyMismatch();
    }
  }
}
