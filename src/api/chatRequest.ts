/**
 * The chat-completions request, validated with zod in OpenAI's shape. Unknown
 * fields are kept (passthrough) and forwarded to the provider unchanged; the
 * legacy function-calling API is refused with a pointer to tools.
 */
import { z } from 'zod';
import { GatewayError, invalidRequest } from '../errors';

const textPart = z.object({ type: z.literal('text'), text: z.string() }).passthrough();
const anyPart = z.object({ type: z.string().min(1) }).passthrough();
const text = z.union([z.string(), z.array(textPart)]);
const toolCall = z
  .object({ id: z.string(), type: z.literal('function'), function: z.object({ name: z.string(), arguments: z.string() }).passthrough() })
  .passthrough();

const message = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: text }).passthrough(),
  z.object({ role: z.literal('developer'), content: text }).passthrough(),
  z.object({ role: z.literal('user'), content: z.union([z.string(), z.array(anyPart).min(1)]) }).passthrough(),
  z
    .object({
      role: z.literal('assistant'),
      content: z.union([z.string(), z.array(anyPart), z.null()]).optional(),
      tool_calls: z.array(toolCall).optional(),
    })
    .passthrough(),
  z.object({ role: z.literal('tool'), content: text, tool_call_id: z.string().min(1) }).passthrough(),
]);

const tool = z
  .object({
    type: z.literal('function'),
    function: z.object({ name: z.string().min(1).max(64), description: z.string().optional(), parameters: z.record(z.unknown()).optional() }).passthrough(),
  })
  .passthrough();

export const chatRequestSchema = z
  .object({
    model: z.string().min(1).max(256),
    messages: z.array(message).min(1),
    stream: z.boolean().optional(),
    n: z.number().int().min(1).max(128).optional(),
    temperature: z.number().min(0).max(2).optional(),
    top_p: z.number().min(0).max(1).optional(),
    max_tokens: z.number().int().positive().optional(),
    max_completion_tokens: z.number().int().positive().optional(),
    tools: z.array(tool).optional(),
    tool_choice: z.union([z.enum(['none', 'auto', 'required']), z.object({ type: z.string() }).passthrough()]).optional(),
    response_format: z.object({ type: z.enum(['text', 'json_object', 'json_schema']) }).passthrough().optional(),
  })
  .passthrough();

export type ChatRequest = z.infer<typeof chatRequestSchema>;

const LEGACY_FIELDS = ['functions', 'function_call'] as const;

export function parseChatRequest(body: unknown): ChatRequest {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw invalidRequest('The request body must be a JSON object.');
  }
  for (const field of LEGACY_FIELDS) {
    if (field in body) throw invalidRequest(`'${field}' is the deprecated function-calling API; use 'tools' and 'tool_choice'.`, field, 'unsupported_parameter');
  }
  const result = chatRequestSchema.safeParse(body);
  if (result.success) return result.data;
  throw fromZodIssue(result.error.issues[0]!, body as Record<string, unknown>);
}

function fromZodIssue(issue: z.ZodIssue, body: Record<string, unknown>): GatewayError {
  const param = issue.path.map(String).join('.') || null;
  if (issue.path[0] === 'messages' && issue.path.length >= 2 && issue.path[2] === 'role' && hasFunctionRole(body)) {
    return invalidRequest("Messages with role 'function' belong to the deprecated function-calling API; use role 'tool'.", param, 'unsupported_parameter');
  }
  return invalidRequest(`Invalid request: ${param ?? 'body'}: ${issue.message}`, param, 'invalid_value');
}

const hasFunctionRole = (body: Record<string, unknown>) =>
  Array.isArray(body.messages) && body.messages.some((m) => (m as { role?: unknown })?.role === 'function');
