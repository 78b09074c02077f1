/**
 * Temporal's remote codec protocol, so the Web UI and the `temporal` CLI can
 * show encrypted payloads to an operator: POST /codec/decode and
 * /codec/encode take and return `{"payloads":[{"metadata":{k: base64},
 * "data": base64}]}` (the JSON form of temporal.api.common.v1.Payloads).
 * X-Namespace, when sent, must name this gateway's namespace: it holds keys
 * for no other. Decoding also resolves claim-check references, so an
 * operator sees the request and the answer. Access and CORS:
 * middleware/codecAccess.ts.
 */
import Router from '@koa/router';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { Context } from 'koa';
import { z } from 'zod';
import { GatewayError, invalidRequest } from '../../errors';
import { CodecAccessOptions, codecAuth, codecCors } from '../middleware/codecAccess';
import type { ClaimCheckResolver } from '../../temporal/claimChecks';

const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'expected base64');
// proto3 JSON leaves out empty fields: `{}` is an empty list (the CLI sends it).
const body = z.object({
  payloads: z.array(z.object({ metadata: z.record(base64).optional(), data: base64.optional() })).default([]),
});

type JsonPayload = z.infer<typeof body>['payloads'][number];

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});

const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')])),
  data: Buffer.from(p.data ?? []).toString('base64'),
});

export interface CodecDeps extends CodecAccessOptions {
  codec: PayloadCodec;
  namespace: string;
  /** Decoded payloads get the blobs their claim-check references point to (temporal/claimChecks). */
  claimChecks?: ClaimCheckResolver;
}

export function codecRoutes(deps: CodecDeps): Router {
  const router = new Router({ prefix: '/codec' });
  router.use(codecCors(deps.corsOrigins));
  const auth = codecAuth(deps);
  for (const op of ['encode', 'decode'] as const) {
    router.options(`/${op}`, () => undefined); // answered by codecCors
    router.post(`/${op}`, auth, async (ctx: Context) => {
      const namespace = ctx.get('x-namespace');
      if (namespace && namespace !== deps.namespace) {
        throw new GatewayError(400, `This codec serves namespace "${deps.namespace}", not "${namespace}".`, 'invalid_request_error', 'unknown_namespace');
      }
      const parsed = body.safeParse(ctx.request.body);
      if (!parsed.success) throw invalidRequest(`Expected {"payloads":[{"metadata":{...},"data":"<base64>"}]}: ${parsed.error.issues[0]?.message}`, 'payloads');
      const payloads = parsed.data.payloads.map(fromJson);
      let result: Payload[];
      try {
        result = await deps.codec[op](payloads);
        if (op === 'decode' && deps.claimChecks) result = await deps.claimChecks.resolve(result);
      } catch (err) {
        throw invalidRequest(`Cannot ${op} these payloads: ${err instanceof Error ? err.message : String(err)}`, 'payloads', `${op}_failed`);
      }
      ctx.body = { payloads: result.map(toJson) };
    });
  }
  return router;
}
