/**
 * The last eval's picture, for the dashboard: `reflex eval --plot` (and the
 * offline eval's) also keep a copy under $REFLEX_HOME/data/eval, where a
 * gateway with the same REFLEX_HOME shows it (GET /admin/eval/curve.svg).
 */
import path from 'node:path';
import { writeFileAtomic } from '../../cache/storage/atomicFile';

export const lastCurvePath = (dataDir: string) => path.join(dataDir, 'eval', 'last-curve.svg');

export async function keepLastCurve(dataDir: string, svg: string): Promise<void> {
  await writeFileAtomic(lastCurvePath(dataDir), svg, { durable: false });
}
