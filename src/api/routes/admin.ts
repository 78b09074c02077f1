/**
 * The admin API (behind adminAuth): stats, delete one entry, purge a tenant,
 * gateway keys (./keys).
 * Deletes run as durable workflows; this process also drops its own L1 copy
 * at once (other replicas re-read within REFLEX_L1_REVALIDATE_MS).
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import { collectStats } from '../../ops/stats';
import { invalidRequest } from '../../errors';
import { maintenanceError } from '../../temporal/maintenanceClient';
import type { ApiServices } from '../../services';
import { adminAuth } from '../middleware/adminAuth';
import { keyRoutes } from './keys';

const TENANT = /^[0-9a-f]{16}$/;
const KEY = /^[0-9a-f]{64}$/;

type AdminDeps = Pick<ApiServices, 'store' | 'metrics' | 'maintenance' | 'exact' | 'vectors' | 'keys' | 'tenants'> & { adminToken: string | undefined };

export function adminRoutes({ store, metrics, maintenance, exact, vectors, keys, tenants, adminToken }: AdminDeps): Router {
  const router = new Router({ prefix: '/admin' });
  router.use(adminAuth(adminToken));
  keyRoutes(router, keys, tenants);

  router.get('/stats', async (ctx: Context) => {
    // Present means one valid tenant id: a repeated or empty ?tenant= is refused, not ignored.
    const { tenant: given } = ctx.query;
    const tenant = given === undefined ? undefined : tenantParam(typeof given === 'string' ? given : undefined);
    ctx.body = await collectStats(store, metrics, tenant);
  });

  router.delete('/entries/:tenant/:key', async (ctx: Context) => {
    const tenant = tenantParam(ctx.params.tenant);
    const key = ctx.params.key ?? '';
    if (!KEY.test(key)) throw invalidRequest('key must be the 64-hex cache key', 'key', 'invalid_key');
    const result = await maintenance.deleteEntry(tenant, key, ctx.state.requestId).catch((err: unknown) => {
      throw maintenanceError('delete', err);
    });
    exact.forget(tenant, key);
    ctx.state.log?.info({ tenant, key, removed: result.removed }, 'entry deleted');
    ctx.body = { deleted: result.removed, tenant, key };
  });

  router.delete('/tenants/:tenant', async (ctx: Context) => {
    const tenant = tenantParam(ctx.params.tenant);
    const result = await maintenance.purgeTenant(tenant, ctx.state.requestId).catch((err: unknown) => {
      throw maintenanceError('purge', err);
    });
    exact.forget(tenant);
    vectors.forgetTenant(tenant);
    ctx.state.log?.info({ tenant, removed: result.removed }, 'tenant purged');
    ctx.body = { deleted: result.removed, tenant };
  });
  return router;
}

function tenantParam(value: string | undefined): string {
  if (!value || !TENANT.test(value)) throw invalidRequest('tenant must be the 16-hex tenant id (from GET /admin/keys, the logs or the Temporal UI)', 'tenant', 'invalid_tenant');
  return value;
}
