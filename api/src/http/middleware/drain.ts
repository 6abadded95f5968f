import type { Middleware } from 'koa';
import type { Lifecycle } from '../../lifecycle.js';

/** While draining, every response asks its client to reconnect elsewhere instead of reusing the socket. */
export function closeConnectionsWhileDraining(lifecycle: Lifecycle): Middleware {
  return async (ctx, next) => {
    await next();
    if (lifecycle.draining) ctx.set('Connection', 'close');
  };
}
