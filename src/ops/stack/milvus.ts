/**
 * Milvus for the embedded default: Milvus Lite 2.5 (PyPI milvus-lite, the C++
 * core with BINARY_VECTOR) run as a gRPC server, the way
 * milvus_lite.server.Server runs it: `lib/milvus <db file> <host:port> <log level>`
 * with the package's lib/ on LD_LIBRARY_PATH.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ManagedProcess, assertPortFree, splitAddress, waitForPort } from './managedProcess';

export interface MilvusOptions {
  venv: string;
  address: string;
  dataDir: string;
}

export function milvusLiteLib(venv: string): string {
  const libRoot = path.join(venv, 'lib');
  const python = existsSync(libRoot) ? readdirSync(libRoot).find((d) => d.startsWith('python')) : undefined;
  const lib = python ? path.join(libRoot, python, 'site-packages', 'milvus_lite', 'lib') : '';
  if (!lib || !existsSync(path.join(lib, 'milvus'))) throw new Error(`milvus-lite not found in ${venv}; run \`npm run setup\``);
  return lib;
}

export async function startMilvus(options: MilvusOptions): Promise<ManagedProcess> {
  const { host, port } = splitAddress(options.address);
  const lib = milvusLiteLib(options.venv);
  const dbDir = path.join(options.dataDir, 'milvus');
  mkdirSync(dbDir, { recursive: true });
  await assertPortFree('milvus', host, port);
  const proc = ManagedProcess.start({
    name: 'milvus',
    command: path.join(lib, 'milvus'),
    args: [path.join(dbDir, 'milvus.db'), `${host}:${port}`, 'ERROR'],
    cwd: dbDir,
    env: { ...process.env, LD_LIBRARY_PATH: [lib, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') },
    logFile: path.join(options.dataDir, 'logs', 'milvus.log'),
  });
  await waitForPort(host, port, 60_000, proc);
  return proc;
}
