/**
 * When no upstream key is configured the caller's own bearer token is
 * forwarded to the provider. The provider call runs in a Temporal activity,
 * and workflow inputs are stored in Temporal's history, so the token travels
 * sealed (AES-256-GCM): Temporal never holds it in the clear. The key comes
 * from REFLEX_TOKEN_KEY (base64, 32 bytes; set it on every API and worker
 * process) or, for the single-machine default, a 0600 file under REFLEX_HOME
 * (src/secretKey.ts).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { loadSecretKey } from '../secretKey';

const IV_BYTES = 12;
const TAG_BYTES = 16;

export class TokenSeal {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('REFLEX_TOKEN_KEY must be 32 bytes (base64)');
  }

  static fromConfig(configured: string | undefined, home: string): TokenSeal {
    return new TokenSeal(loadSecretKey(configured, home, 'token.key', 'REFLEX_TOKEN_KEY'));
  }

  seal(token: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  unseal(sealed: string): string {
    const raw = Buffer.from(sealed, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }
}
