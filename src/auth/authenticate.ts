/**
 * Who is calling, per REFLEX_AUTH:
 *   keys     a valid, unexpired gateway key is required; its namespace is the tenant;
 *            the provider gets the gateway's own REFLEX_UPSTREAM_API_KEY.
 *   forward  the caller's bearer token is the tenant and, unless the gateway
 *            holds a provider key, is forwarded to the provider.
 *   none     no authentication: one anonymous tenant (local development only).
 * Only keyed hashes of what identifies the caller leave this module.
 */
import { GatewayError } from '../errors';
import { bearerToken, Tenant, TenantHasher } from '../cache/keys/tenant';
import { GatewayKey, isExpired, KeyStore } from './keyStore';

export type AuthMode = 'keys' | 'forward' | 'none';

export interface Caller {
  tenant: Tenant;
  /** What the provider gets as its bearer token (undefined: none). */
  providerKey: string | undefined;
  /** The provider key is the caller's own token (it must travel sealed). */
  forwarded: boolean;
  /** The gateway key, in keys mode. */
  key?: GatewayKey;
}

export class Authenticator {
  constructor(
    readonly mode: AuthMode,
    private readonly keys: KeyStore,
    private readonly tenants: TenantHasher,
    private readonly upstreamKey: string | undefined,
  ) {}

  /** The caller behind an Authorization header; throws a 401 in keys mode when there is none. */
  identify(authorization: string | undefined, now = Date.now()): Caller {
    const token = bearerToken(authorization);
    if (this.mode === 'none') return { tenant: this.tenants.anonymous(), providerKey: this.upstreamKey ?? token, forwarded: !this.upstreamKey && !!token };
    if (this.mode === 'forward') return { tenant: this.tenants.forToken(token), providerKey: this.upstreamKey ?? token, forwarded: !this.upstreamKey && !!token };
    const key = token ? this.keys.find(token) : undefined;
    if (!key) throw invalidKey(token ? 'Incorrect API key provided.' : 'No API key provided: send a gateway key as "Authorization: Bearer rfx-...".');
    if (isExpired(key, now)) throw invalidKey('This API key has expired.');
    return { tenant: this.tenants.forNamespace(key.namespace), providerKey: this.upstreamKey, forwarded: false, key };
  }
}

/** A key with a model allow-list may only use those models (403, as OpenAI answers a project without access). */
export function assertModelAllowed(caller: Caller | undefined, model: string): void {
  if (!modelAllowed(caller, model)) {
    throw new GatewayError(403, `This API key may not use the model '${model}'.`, 'permission_error', 'model_not_allowed', 'model');
  }
}

export function modelAllowed(caller: Caller | undefined, model: string): boolean {
  const allowed = caller?.key?.models;
  return !allowed || allowed.includes(model);
}

const invalidKey = (message: string) => new GatewayError(401, message, 'authentication_error', 'invalid_api_key');

/** What the API says about its auth mode at start: `none` and a forward mode that spends the gateway's own key are warnings. */
export function authNotice(mode: AuthMode, upstreamKey: string | undefined): { level: 'info' | 'warn'; message: string } {
  if (mode === 'none') return { level: 'warn', message: 'REFLEX_AUTH=none: no caller is authenticated and all share one cache; local development only' };
  if (mode === 'forward' && upstreamKey) return { level: 'warn', message: 'REFLEX_AUTH=forward with REFLEX_UPSTREAM_API_KEY: any bearer token spends the provider key' };
  return { level: 'info', message: mode === 'keys' ? 'gateway keys required (REFLEX_AUTH=keys)' : "callers' own provider tokens are forwarded (REFLEX_AUTH=forward)" };
}
