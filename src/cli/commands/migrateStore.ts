/**
 * `reflex migrate-store --from files --to postgres` (or the reverse): copies
 * entries, outbox records, stored embeddings and gateway keys between the
 * files under REFLEX_HOME and the PostgreSQL of REFLEX_DATABASE_URL, with a
 * progress bar on stderr and a summary as JSON on stdout. Never calls the
 * provider; idempotent and resumable (src/ops/migrateStore.ts).
 */
import { Presets, SingleBar } from 'cli-progress';
import path from 'node:path';
import { ConfigError, type Config } from '../../config';
import { MigrateProgress, migrateStore, StateStores } from '../../ops/migrateStore';
import { openStores, type StoreKind, type Stores } from '../../stores';

export async function migrateStoreCommand(config: Config, opts: { from: StoreKind; to: StoreKind; restart: boolean }): Promise<void> {
  if (opts.from === opts.to) throw new ConfigError(`--from and --to are both ${opts.from}: nothing to move`);
  if (!config.databaseUrl) throw new ConfigError('REFLEX_DATABASE_URL is not set: it names the PostgreSQL side of the move');
  const [from, to] = [await openStores(config, undefined, opts.from), await openStores(config, undefined, opts.to)];
  try {
    const checkpoint = path.join(config.dataDir, `migrate-store-${opts.from}-to-${opts.to}.json`);
    const summary = await migrateStore(await stateOf(from), await stateOf(to), checkpoint, progressBar(), opts.restart);
    process.stdout.write(`${JSON.stringify({ command: 'migrate-store', from: opts.from, to: opts.to, ...summary })}\n`);
  } finally {
    await Promise.allSettled([from.close(), to.close()]);
  }
}

async function stateOf(stores: Stores): Promise<StateStores> {
  return { entries: stores.entries, outbox: stores.outbox, vectors: stores.vectors, keys: await stores.keys(), verdicts: stores.verdicts };
}

function progressBar(): MigrateProgress {
  const bar = new SingleBar({ format: 'migrate-store {phase} [{bar}] {value}/{total}', stream: process.stderr }, Presets.shades_classic);
  let started = false;
  return {
    phase: (phase, total) => {
      if (started) bar.stop();
      bar.start(total, 0, { phase });
      started = true;
    },
    advance: () => bar.increment(),
    done: () => started && bar.stop(),
  };
}
