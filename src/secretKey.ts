/**
 * The gateway's server secrets (the token seal's and the payload codec's AES-256-GCM keys,
 * the tenant hash's HMAC secret)
 * share one way to be configured and one cipher layout. A key comes from its
 * variable (base64, 32 bytes; set the same on every API and worker process)
 * or, for the single-machine default, a 0600 file under REFLEX_HOME that the
 * first process to need it creates.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

/** True for base64 text that decodes to exactly 32 bytes (for the config schema). */
export function isKey(text: string): boolean {
  return /^[A-Za-z0-9+/]+={0,2}$/.test(text) && Buffer.from(text, 'base64').length === KEY_BYTES;
}

/** The configured key, else the one in `home/fileName`, created on first use. */
export function loadKey(configured: string | undefined, home: string, fileName: string): Buffer {
  if (configured) return Buffer.from(configured, 'base64');
  const file = path.join(home, fileName);
  mkdirSync(home, { recursive: true });
  // Written whole to a temp file, then linked into place: link fails if another
  // process (API or worker) got there first, and then we use theirs.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, randomBytes(KEY_BYTES).toString('base64'), { mode: 0o600 });
  try {
    linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(tmp);
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
}

/** iv ‖ tag ‖ ciphertext; a fresh random IV per message. */
export function encrypt(key: Buffer, plain: Uint8Array): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

/** Throws when the data was not sealed with this key or was altered. */
export function decrypt(key: Buffer, sealed: Uint8Array): Buffer {
  const raw = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (raw.length < IV_BYTES + TAG_BYTES) throw new Error('ciphertext too short');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
}
