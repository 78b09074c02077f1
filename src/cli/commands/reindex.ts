/**
 * `reflex reindex`: rebuild the Milvus collection from the entry store
 * (storage, Milvus and the model; resumable through a checkpoint file).
 * Progress on stderr, a summary as one JSON line on stdout.
 */
import { Presets, SingleBar } from 'cli-progress';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../../config';
import { OnnxEmbedder } from '../../cache/embedding/onnxEmbedder';
import { Expiry } from '../../cache/storage/expiry';
import { MilvusIndex } from '../../cache/vectordb/milvus';
import { reindex, ReindexProgress } from '../../ops/reindex';
import { openStores } from '../../stores';

export interface ReindexOptions {
  restart: boolean;
  reembed: boolean;
}

export async function reindexCommand(config: Config, log: Logger, opts: ReindexOptions): Promise<void> {
  const embedder = await OnnxEmbedder.load(config.model.path, config.model.name, { threads: config.model.threads });
  const index = new MilvusIndex({ ...config.milvus, dim: embedder.dim });
  const stores = await openStores(config, log);
  try {
    const summary = await reindex(
      {
        store: stores.entries,
        index,
        embedder,
        expiry: Expiry.fromSeconds(config.retention.ttlSeconds),
        checkpointFile: path.join(config.dataDir, `reindex-${config.milvus.collection}.json`),
      },
      { restart: opts.restart, reembed: opts.reembed },
      progressBar(),
    );
    log.info(summary, 'reindex finished');
    process.stdout.write(`${JSON.stringify({ command: 'reindex', ...summary })}\n`);
  } finally {
    await index.close();
    await stores.close();
  }
}

function progressBar(): ReindexProgress {
  const bar = new SingleBar({ format: 'reindex [{bar}] {percentage}% {value}/{total} entries, eta {eta}s', stream: process.stderr }, Presets.shades_classic);
  return { start: (total, done) => bar.start(total, done), advance: (by) => bar.increment(by), stop: () => bar.stop() };
}
