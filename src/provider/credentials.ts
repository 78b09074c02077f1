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

  unseal(sealed: string): string {
    return decrypt(this.key, Buffer.from(sealed, 'base64')).toString('utf8');
  }
}
