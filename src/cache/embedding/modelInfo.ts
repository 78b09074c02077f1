/**
 * What a model folder says about its model without running it: the vector
 * length (config.json), the window (tokenizer_config.json) and an id that
 * changes whenever the graph does (its name and the graph file's sha256), so
 * a process knows all three before, or without ever, loading the model.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export interface ModelInfo {
  dim: number;
  window: number;
  id: string;
}

/** The graph every model folder holds (onnxSession.ts runs it). */
export const graphFile = (modelsDir: string, name: string) => path.join(modelsDir, name, 'onnx', 'model_quantized.onnx');

export async function readModelInfo(modelsDir: string, name: string): Promise<ModelInfo> {
  const json = async (file: string) => JSON.parse(await readFile(path.join(modelsDir, name, file), 'utf8')) as Record<string, unknown>;
  const [config, tokenizer, graph] = await Promise.all([json('config.json'), json('tokenizer_config.json'), readFile(graphFile(modelsDir, name))]);
  const dim = Number(config.hidden_size);
  const window = Number(tokenizer.model_max_length);
  if (!(dim > 0) || !(window > 0)) throw new Error(`${path.join(modelsDir, name)}: config.json has no hidden_size or tokenizer_config.json no model_max_length`);
  return { dim, window, id: `${name}@${createHash('sha256').update(graph).digest('hex').slice(0, 12)}` };
}
