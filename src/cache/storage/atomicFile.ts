/**
 * Atomic file replacement: temp file in the same directory, fsync, rename,
 * fsync the directory. A reader or a crash sees the old file or the new one,
 * never half of one. Used by the entry store, the key store, the outbox and
 * (with `durable: false`, which skips both fsyncs: still atomic and safe
 * against a process crash, but a power loss may drop the file) the
 * short-lived claim-check blobs.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

export async function writeFileAtomic(file: string, text: string, { durable = true } = {}): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await openCreatingDir(tmp, dir);
  try {
    try {
      await handle.writeFile(text);
      if (durable) await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  } catch (err) {
    // A failed write (disk full, rename refused) must not leave its temp file behind.
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  if (durable) await syncDir(dir);
}

/** Opens a new file for writing; its directory is made only when missing (one syscall less on every write to a known directory). */
async function openCreatingDir(file: string, dir: string): Promise<fs.FileHandle> {
  try {
    return await fs.open(file, 'w', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await fs.mkdir(dir, { recursive: true });
    return fs.open(file, 'w', 0o600);
  }
}

/** The file's contents, or undefined when it does not exist. */
export async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Makes a rename or unlink in dir durable. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The names in a directory; none when it (or a parent) does not exist. */
export async function namesIn(dir: string): Promise<string[]> {
  return fs.readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return [];
    throw err;
  });
}

/** Removes a tenant's directory once its last store has emptied it (other stores' files keep it). */
export async function removeIfEmpty(dir: string): Promise<void> {
  await fs.rmdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT' && err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
  });
}
