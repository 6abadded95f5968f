import type { Middleware } from 'koa';
import { ipKey } from './keys.js';
import type { Limit } from './limit.js';

/**
 * Takes one point of `limit` for the client address of every request it sees and answers 429 when
 * none is left. It throws, so it must run inside the error mapper. The headers are set before the
 * request goes on, so a limit mounted further in (register) overrides the global one's with its own.
 */
export function limitByIp(limit: Limit): Middleware {
  return async (ctx, next) => {
    ctx.set(await limit.consume(ipKey(ctx.ip)));
    await next();
  };
}
