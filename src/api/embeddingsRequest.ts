/**
 * The embeddings request (POST /v1/embeddings), validated with zod: input is
 * a string, a list of strings, a list of token ids, or a list of such lists
 * (OpenAI's four forms). Other fields pass through to the provider.
 */
import { z } from 'zod';
import { invalidRequest } from '../errors';
import type { EmbeddingsRequest } from '../wire/embeddings';

const tokens = z.array(z.number().int().min(0)).min(1);

export const embeddingsRequestSchema = z
  .object({
    model: z.string().min(1).max(256),
    input: z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(2048), tokens, z.array(tokens).min(1).max(2048)]),
    dimensions: z.number().int().positive().optional(),
    encoding_format: z.enum(['float', 'base64']).optional(),
  })
  .passthrough();

export function parseEmbeddingsRequest(body: unknown): EmbeddingsRequest {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalidRequest('The request body must be a JSON object.');
  const result = embeddingsRequestSchema.safeParse(body);
  if (result.success) return result.data as EmbeddingsRequest;
  const issue = result.error.issues[0]!;
  const param = issue.path.map(String).join('.') || null;
  const message = param?.startsWith('input') ? "'input' must be a non-empty string, a list of non-empty strings, a list of token ids, or a list of such lists (at most 2048 items)" : issue.message;
  throw invalidRequest(`Invalid request: ${param ?? 'body'}: ${message}`, param, 'invalid_value');
}
