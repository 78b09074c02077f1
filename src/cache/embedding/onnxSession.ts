/**
 * How the gateway opens an ONNX model (the embedder, the verifier): CPU, a
 * fixed number of intra-op threads, and threads that sleep between runs.
 * transformers.js 2.x would open it with one thread per core that spin
 * between ops; one embedding is a few milliseconds of small matrix work, so
 * spinning threads only take CPU from the requests around it (BENCHMARKS.md).
 */
import { InferenceSession } from 'onnxruntime-node';

export function openSession(file: string, threads: number): Promise<InferenceSession> {
  return InferenceSession.create(file, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
}
