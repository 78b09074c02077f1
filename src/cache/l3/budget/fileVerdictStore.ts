/**
 * Verdicts in files: one JSON line per verdict in <root>/<tenant>.jsonl,
 * appended with O_APPEND (a line is far under a page, so concurrent writers
 * on one host never interleave within a line), and read on from a byte
 * offset: the cursor. A line cut short by a crash mid-write is skipped when
 * the next one completes it, never parsed half.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { namesIn } from '../../storage/atomicFile';
import { assertTenant, isTenant, type Verdict, type VerdictPage, type VerdictStore } from './verdicts';

const SUFFIX = '.jsonl';

export class FileVerdictStore implements VerdictStore {
  constructor(readonly root: string) {}

  private fileOf(tenant: string): string {
    assertTenant(tenant);
    return path.join(this.root, `${tenant}${SUFFIX}`);
  }

  async append(verdict: Verdict): Promise<void> {
    const file = this.fileOf(verdict.tenant);
    const line = `${JSON.stringify(verdict)}\n`;
    await fs.appendFile(file, line, { mode: 0o600 }).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
      await fs.mkdir(this.root, { recursive: true });
      await fs.appendFile(file, line, { mode: 0o600 });
    });
  }

  async read(tenant: string, cursor?: string): Promise<VerdictPage> {
    const from = cursor ? Number(cursor) : 0;
    const handle = await fs.open(this.fileOf(tenant), 'r').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (!handle) return { verdicts: [], cursor: String(from) };
    try {
      const { size } = await handle.stat();
      // Shorter than the cursor: removed (a purge) and begun again; read it from the start (ids count once).
      if (size < from) return this.read(tenant);
      if (size === from) return { verdicts: [], cursor: String(from) };
      const buffer = Buffer.alloc(size - from);
      await handle.read(buffer, 0, buffer.length, from);
      // Only whole lines: a line still being written is read next time, from its start.
      const end = buffer.lastIndexOf(0x0a) + 1;
      const verdicts = buffer.subarray(0, end).toString('utf8').split('\n').filter(Boolean).flatMap(parseLine);
      return { verdicts, cursor: String(from + end) };
    } finally {
      await handle.close();
    }
  }

  async tenants(): Promise<string[]> {
    return (await namesIn(this.root)).filter((n) => n.endsWith(SUFFIX)).map((n) => n.slice(0, -SUFFIX.length)).filter(isTenant);
  }

  async removeTenant(tenant: string): Promise<void> {
    await fs.rm(this.fileOf(tenant), { force: true });
  }
}

/** A line that does not parse (a torn write after a crash) is dropped, not fatal. */
function parseLine(line: string): Verdict[] {
  try {
    return [JSON.parse(line) as Verdict];
  } catch {
    return [];
  }
}
