import type { Middleware } from 'koa';
import type { Lifecycle } from '../../lifecycle.js';

/**
 * While draining, every response (failures included) asks its client to reconnect elsewhere
 * instead of reusing the socket. Set before the handler runs, as the error mapper keeps headers.
 */
export function closeConnectionsWhileDraining(lifecycle: Lifecycle): Middleware {
  return async (ctx, next) => {
    if (lifecycle.draining) ctx.set('Connection', 'close');
    await next();
  };
}
