/** GET /v1/models[/id] passed through to the upstream (see ./passThrough); the mock lists itself. */
import { PassedAnswer, passThrough } from './passThrough';

export type ModelsAnswer = PassedAnswer;

const MOCK_MODELS = { object: 'list', data: [{ id: 'mock-model', object: 'model', created: 0, owned_by: 'reflex-mock' }] };

export function fetchModels(baseURL: string, apiKey: string | undefined, modelId: string | undefined, timeoutMs: number): Promise<ModelsAnswer> {
  return passThrough({ baseURL, apiKey, method: 'GET', path: `/models${modelId ? `/${encodeURIComponent(modelId)}` : ''}`, timeoutMs });
}

export function mockModels(modelId: string | undefined): ModelsAnswer {
  if (!modelId) return { status: 200, body: MOCK_MODELS };
  return { status: 200, body: { id: modelId, object: 'model', created: 0, owned_by: 'reflex-mock' } };
}
