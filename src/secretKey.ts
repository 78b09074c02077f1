/**
 * A 32-byte server secret: from its setting (base64) or, for the
 * single-machine default, a 0600 file under REFLEX_HOME created on first use.
 * Shared by the token seal (REFLEX_TOKEN_KEY) and the tenant hash
 * (REFLEX_TENANT_SECRET); every process that must agree on one (API replicas,
 * workers) sets it explicitly or shares the home directory.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function loadSecretKey(configured: string | undefined, home: string, fileName: string, setting: string): Buffer {
  const key = Buffer.from(configured ?? fromFile(path.join(home, fileName)), 'base64');
  if (key.length !== 32) throw new Error(`${setting} must be 32 bytes (base64)`);
  return key;
}

function fromFile(file: string): string {
  mkdirSync(path.dirname(file), { recursive: true });
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
  return readFileSync(file, 'utf8').trim();
}
