/**
 * GET /v1/models[/id] passed through to the upstream with the same key the
 * completions use. Failures follow the completions' rule (./failure).
 */
import { providerError, failureOf } from './failure';

export interface ModelsAnswer {
  status: number;
  body: unknown;
}

const MOCK_MODELS = { object: 'list', data: [{ id: 'mock-model', object: 'model', created: 0, owned_by: 'reflex-mock' }] };

export async function fetchModels(baseURL: string, apiKey: string | undefined, modelId: string | undefined, timeoutMs: number): Promise<ModelsAnswer> {
  const url = `${baseURL.replace(/\/+$/, '')}/models${modelId ? `/${encodeURIComponent(modelId)}` : ''}`;
  let res: Response;
  try {
    res = await fetch(url, { headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {}, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw providerError(failureOf(0, undefined, `upstream unreachable: ${err instanceof Error ? err.message : String(err)}`));
  }
  const body = await res.json().catch(() => undefined);
  if (res.ok) return { status: res.status, body };
  const error = (body as { error?: unknown } | undefined)?.error;
  throw providerError(failureOf(res.status, error, `upstream status ${res.status}`, res.headers.get('retry-after') ?? undefined));
}

export function mockModels(modelId: string | undefined): ModelsAnswer {
  if (!modelId) return { status: 200, body: MOCK_MODELS };
  return { status: 200, body: { id: modelId, object: 'model', created: 0, owned_by: 'reflex-mock' } };
}
