/** Atomic replacement leaves nothing behind when it fails (previously a failed write left its `.tmp` file forever). */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../../src/cache/storage/atomicFile';

test('a write replaces the file whole and leaves no temp file', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'reflex-atomic-'));
  await writeFileAtomic(path.join(dir, 'a.json'), '{"v":1}');
  await writeFileAtomic(path.join(dir, 'a.json'), '{"v":2}');
  expect(readFileSync(path.join(dir, 'a.json'), 'utf8')).toBe('{"v":2}');
  expect(readdirSync(dir)).toEqual(['a.json']);
});

test('a rename that fails removes its temp file and reports the error', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'reflex-atomic-'));
  mkdirSync(path.join(dir, 'taken.json', 'inside'), { recursive: true }); // a non-empty directory: rename over it fails
  await expect(writeFileAtomic(path.join(dir, 'taken.json'), '{}')).rejects.toThrow();
  expect(readdirSync(dir)).toEqual(['taken.json']);
});

test('a write into a directory that does not exist (yet, or any more after a purge) makes it', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'reflex-atomic-'));
  const file = path.join(dir, 'tenant', 'blobs', 'ab', 'x.json');
  await writeFileAtomic(file, '{"v":1}', { durable: false });
  rmSync(path.join(dir, 'tenant'), { recursive: true });
  await writeFileAtomic(file, '{"v":2}');
  expect(readFileSync(file, 'utf8')).toBe('{"v":2}');
  expect(readdirSync(path.dirname(file))).toEqual(['x.json']);
});
