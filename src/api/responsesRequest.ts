/**
 * The Responses API request (POST /v1/responses), validated with zod in
 * OpenAI's shape. Like chat, unknown fields are kept (passthrough) and the
 * body reaches the provider as sent; only what the gateway itself reads is
 * checked here, the rest is the provider's to judge.
 */
import { z } from 'zod';
import { invalidRequest } from '../errors';

const inputItem = z.object({}).passthrough();

export const responsesRequestSchema = z
  .object({
    model: z.string().min(1).max(256).optional(),
    input: z.union([z.string(), z.array(inputItem)]).optional(),
    instructions: z.string().nullable().optional(),
    stream: z.boolean().optional(),
    store: z.boolean().optional(),
    background: z.boolean().optional(),
    previous_response_id: z.string().min(1).nullable().optional(),
    conversation: z.union([z.string().min(1), z.object({ id: z.string().min(1) }).passthrough()]).nullable().optional(),
    prompt: z.object({ id: z.string().min(1) }).passthrough().nullable().optional(),
    tools: z.array(z.object({ type: z.string().min(1) }).passthrough()).optional(),
    temperature: z.number().min(0).max(2).nullable().optional(),
    top_p: z.number().min(0).max(1).nullable().optional(),
    max_output_tokens: z.number().int().positive().nullable().optional(),
  })
  .passthrough()
  .refine((r) => r.model !== undefined || r.prompt, { message: "'model' is required (or a stored 'prompt' that names one)", path: ['model'] });

export type ResponsesRequest = z.infer<typeof responsesRequestSchema>;

export function parseResponsesRequest(body: unknown): ResponsesRequest {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalidRequest('The request body must be a JSON object.');
  const result = responsesRequestSchema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const param = issue.path.map(String).join('.') || null;
  return fail(param, issue.message);
}

function fail(param: string | null, message: string): never {
  throw invalidRequest(`Invalid request: ${param ?? 'body'}: ${message}`, param, 'invalid_value');
}
