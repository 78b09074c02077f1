/**
 * Gives each request an id (the caller's X-Request-Id when it is sane) and a
 * logger carrying it. The child logger is made on first use only: most
 * requests log nothing but their access line, which the metrics middleware
 * writes with the id itself.
 */
import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's X-Request-Id when it is sane, else a fresh one. */
export const requestIdFor = (given: string | undefined): string => (given !== undefined && SANE_ID.test(given) ? given : randomUUID());

export function requestId(log: Logger) {
  return (ctx: Context, next: Next): Promise<void> => {
    const id = requestIdFor(ctx.get('x-request-id'));
    ctx.state.requestId = id;
    let child: Logger | undefined;
    Object.defineProperty(ctx.state, 'log', { get: () => (child ??= log.child({ requestId: id })), enumerable: true, configurable: true });
    ctx.set('X-Request-Id', id);
    return next();
  };
}
