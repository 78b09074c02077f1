/**
 * Provider routes the gateway forwards without caching (models, stored
 * responses): the same key the completions use, the provider's status and
 * JSON body back as they are; failures follow the completions' rule (./failure).
 */
import { failureOf, providerError } from './failure';

export interface PassedAnswer {
  status: number;
  body: unknown;
}

export interface PassThroughCall {
  baseURL: string;
  apiKey: string | undefined;
  method: 'GET' | 'POST' | 'DELETE';
  /** Path below the base URL, already encoded, with its query string. */
  path: string;
  timeoutMs: number;
}

export async function passThrough(call: PassThroughCall): Promise<PassedAnswer> {
  const url = `${call.baseURL.replace(/\/+$/, '')}${call.path}`;
  let res: Response;
  try {
    res = await fetch(url, { method: call.method, headers: call.apiKey ? { authorization: `Bearer ${call.apiKey}` } : {}, signal: AbortSignal.timeout(call.timeoutMs) });
  } catch (err) {
    throw providerError(failureOf(0, undefined, `upstream unreachable: ${err instanceof Error ? err.message : String(err)}`));
  }
  const body = await res.json().catch(() => undefined);
  if (res.ok) return { status: res.status, body };
  const error = (body as { error?: unknown } | undefined)?.error;
  throw providerError(failureOf(res.status, error, `upstream status ${res.status}`, res.headers.get('retry-after') ?? undefined));
}
