/**
 * The gateway-key admin API (mounted under /admin, behind adminAuth):
 *   POST   /admin/keys       create; the secret is in this one answer only
 *   GET    /admin/keys       list (no secrets, no hashes)
 *   DELETE /admin/keys/:id   revoke, effective at once on every replica
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { ZodError } from 'zod';
import { keyOptionsSchema } from '../../auth/keyOptions';
import { describeKey, GatewayKey, KeyStore } from '../../auth/keyStore';
import type { TenantHasher } from '../../cache/keys/tenant';
import { GatewayError, invalidRequest } from '../../errors';

export function keyRoutes(router: Router, keys: KeyStore, tenants: TenantHasher): void {
  const view = (key: GatewayKey) => describeKey(key, tenants);

  router.post('/keys', async (ctx: Context) => {
    const parsed = keyOptionsSchema.safeParse(ctx.request.body ?? {});
    if (!parsed.success) throw zodError(parsed.error);
    const { key, secret } = await keys.create(parsed.data);
    ctx.state.log?.info({ keyId: key.id, namespace: key.namespace }, 'gateway key created');
    ctx.status = 201;
    ctx.body = { ...view(key), key: secret };
  });

  router.get('/keys', async (ctx: Context) => {
    ctx.body = { object: 'list', data: (await keys.list()).map(view) };
  });

  router.delete('/keys/:id', async (ctx: Context) => {
    const id = ctx.params.id ?? '';
    if (!(await keys.remove(id))) throw new GatewayError(404, `No gateway key '${id}'.`, 'not_found_error', 'key_not_found', 'id');
    ctx.state.log?.info({ keyId: id }, 'gateway key revoked');
    ctx.body = { id, object: 'key', deleted: true };
  });
}

function zodError(error: ZodError): GatewayError {
  const issue = error.issues[0];
  const param = issue?.path.join('.') || null;
  return invalidRequest(`Invalid key options: ${param ? `${param}: ` : ''}${issue?.message ?? 'invalid'}`, param, 'invalid_key_options');
}
