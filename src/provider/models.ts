/**
 * GET /v1/models[/id] passed through to the upstream with the same key the
 * completions use. Client errors keep their status and body (429 keeps
 * Retry-After); 5xx and transport failures become a 502, like completions.
 */
import { GatewayError, ProviderError } from '../errors';

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
    throw new ProviderError(502, `Upstream provider unreachable: ${err instanceof Error ? err.message : String(err)}`, 'api_error', 'upstream_error');
  }
  const body = await res.json().catch(() => undefined);
  if (res.ok) return { status: res.status, body };
  throw upstreamFailure(res, body);
}

export function mockModels(modelId: string | undefined): ModelsAnswer {
  if (!modelId) return { status: 200, body: MOCK_MODELS };
  return { status: 200, body: { id: modelId, object: 'model', created: 0, owned_by: 'reflex-mock' } };
}

function upstreamFailure(res: Response, body: unknown): GatewayError {
  const e = ((body as { error?: Record<string, unknown> } | undefined)?.error ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  const message = str(e.message) ?? `upstream status ${res.status}`;
  if (res.status >= 500) return new ProviderError(502, `Upstream provider failed (status ${res.status}): ${message}`, 'api_error', 'upstream_error');
  const retryAfter = res.headers.get('retry-after');
  return new ProviderError(res.status, message, str(e.type) ?? 'invalid_request_error', str(e.code), str(e.param), retryAfter ? { 'Retry-After': retryAfter } : {});
}
