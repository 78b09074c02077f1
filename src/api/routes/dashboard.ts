/**
 * The admin dashboard at /admin/ (docs/operations.md, "Admin dashboard"):
 *   GET  /admin/              the page (login form until a session exists; the page says
 *                             which, so it asks for no data it would be refused)
 *   GET  /admin/assets/:name  its script and styles, and uPlot from node_modules
 *   POST /admin/login         {"token"} → session cookie (./middleware/adminSession.ts); wrong
 *                             tokens back off per client (./middleware/loginBackoff.ts)
 *   POST /admin/logout        clears it
 *   GET  /admin/overview      the data (behind adminAuth, like every other /admin path)
 *   GET  /admin/eval/curve.svg the last `reflex eval --plot` picture with this REFLEX_HOME (ops/dashboard/lastCurve.ts)
 * Key create/list/revoke use the admin key API (./keys.ts). Nothing is fetched
 * from another origin; the page's policy allows only this one.
 */
import Router from '@koa/router';
import { Client } from '@temporalio/client';
import type { Context } from 'koa';
import { readFileSync } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { GatewayError } from '../../errors';
import { readIfExists } from '../../cache/storage/atomicFile';
import { lastCurvePath } from '../../ops/dashboard/lastCurve';
import { overview, wrongHitRow } from '../../ops/dashboard/overview';
import type { ApiServices } from '../../services';
import { dataConverter } from '../../temporal/payloadCodec';
import { adminTokenDigest, disabled, isAdminToken } from '../middleware/adminAuth';
import { AdminSessions, SESSION_COOKIE, SESSION_HOURS } from '../middleware/adminSession';
import { LoginBackoff } from '../middleware/loginBackoff';

/** web/admin beside src/ and dist/ (the Docker image copies it too). */
const WEB = path.resolve(__dirname, '../../../web/admin');

const ASSETS: Record<string, { file: string; type: string }> = {
  'dashboard.js': { file: path.join(WEB, 'dashboard.js'), type: 'text/javascript; charset=utf-8' },
  'dashboard.css': { file: path.join(WEB, 'dashboard.css'), type: 'text/css; charset=utf-8' },
  'uplot.js': { file: require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  'uplot.css': { file: require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

const PAGE_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

type DashboardDeps = Pick<ApiServices, 'config' | 'metrics' | 'usage' | 'store' | 'outbox' | 'keys' | 'tenants' | 'health' | 'temporal' | 'codec' | 'fleet' | 'budget'>;

export function dashboardRoutes(deps: DashboardDeps): Router {
  const { config } = deps;
  const router = new Router({ prefix: '/admin' });
  const files = new Map(Object.entries(ASSETS).map(([name, a]) => [name, { ...a, body: readFileSync(a.file) }]));
  const html = readFileSync(path.join(WEB, 'index.html'), 'utf8');
  const page = (session: boolean) => Buffer.from(html.replace('<body>', `<body data-session="${session ? 1 : 0}">`));
  const pages = { in: page(true), out: page(false) };
  const expected = config.adminToken ? adminTokenDigest(config.adminToken) : undefined;
  const sessions = config.adminToken ? new AdminSessions(config.adminToken) : undefined;
  const backoff = new LoginBackoff();
  let client: Client | undefined; // made at the first overview: the API's connection may still be opening before
  const enabled = (ctx: Context) => {
    if (!expected || !sessions) throw disabled();
    ctx.set(PAGE_HEADERS);
  };

  const showPage = (ctx: Context) => {
    enabled(ctx);
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = sessions!.valid(ctx.cookies.get(SESSION_COOKIE)) ? pages.in : pages.out;
  };
  router.get('/', showPage); // also /admin (the router's trailing slash is optional)
  router.get('/assets/:name', (ctx: Context) => {
    enabled(ctx);
    const asset = files.get(ctx.params.name ?? '');
    if (!asset) throw new GatewayError(404, 'No such dashboard asset.', 'not_found_error', 'not_found');
    ctx.type = asset.type;
    ctx.body = asset.body;
  });

  router.post('/login', (ctx: Context) => {
    enabled(ctx);
    backoff.check(ctx.ip);
    const token = (ctx.request.body as { token?: unknown } | undefined)?.token;
    if (typeof token !== 'string' || !isAdminToken(token, expected!)) {
      backoff.failed(ctx.ip);
      throw new GatewayError(401, 'That is not the admin token.', 'authentication_error', 'invalid_admin_token');
    }
    backoff.succeeded(ctx.ip);
    ctx.cookies.set(SESSION_COOKIE, sessions!.issue(), { httpOnly: true, sameSite: 'strict', path: '/admin', maxAge: SESSION_HOURS * 3_600_000, secure: ctx.secure, overwrite: true });
    ctx.status = 204;
  });
  router.post('/logout', (ctx: Context) => {
    enabled(ctx);
    ctx.cookies.set(SESSION_COOKIE, '', { httpOnly: true, sameSite: 'strict', path: '/admin', maxAge: 0, overwrite: true });
    ctx.status = 204;
  });

  // Behind adminAuth (onAdmin): bearer token or session.
  router.get('/eval/curve.svg', async (ctx: Context) => {
    const svg = await readIfExists(lastCurvePath(config.dataDir));
    if (svg === undefined) throw new GatewayError(404, 'No eval has been plotted with this REFLEX_HOME (reflex eval --plot FILE).', 'not_found_error', 'no_eval_curve');
    ctx.set(PAGE_HEADERS);
    ctx.type = 'image/svg+xml';
    ctx.body = svg;
  });
  router.get('/overview', async (ctx: Context) => {
    ctx.set(PAGE_HEADERS);
    const [data, evalCurve] = await Promise.all([
      overview({
        ...deps,
        degraded: () => deps.health.degraded,
        prices: config.prices,
        wrongHits: async () => (await deps.budget.refresh(), { rate: config.audit.rate, delta: config.audit.maxWrongHits ?? null, start: config.audit.budgetStart, judge: config.audit.judge, estimates: deps.budget.estimates().map(wrongHitRow) }),
        fills: { client: (client ??= new Client({ connection: deps.temporal, namespace: config.temporal.namespace, dataConverter: dataConverter(deps.codec) })), namespace: config.temporal.namespace, uiUrl: config.temporalUiUrl },
      }),
      // Whether the page should ask for the picture at all (it would be a 404 otherwise).
      access(lastCurvePath(config.dataDir)).then(() => true, () => false),
    ]);
    ctx.body = { ...data, evalCurve };
  });
  return router;
}
