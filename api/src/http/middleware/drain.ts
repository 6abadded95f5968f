import type { Middleware } from 'koa';
import type { Lifecycle } from '../../lifecycle.js';
import { http2Stream } from '../http2-stream.js';

/**
 * While draining, every response (failures included) asks its client to reconnect elsewhere
 * instead of reusing the connection. HTTP/1.1 says so with `Connection: close`, set before the
 * handler runs, as the error mapper keeps headers. HTTP/2 forbids connection headers (Node drops
 * the header with a warning, and throws for some), so there the session is closed instead: a GOAWAY
 * stops new streams on it, and the ones already sent, this one included, are still answered.
 */
export function closeConnectionsWhileDraining(lifecycle: Lifecycle): Middleware {
  return async (ctx, next) => {
    if (lifecycle.draining) {
      const stream = http2Stream(ctx.req);
      if (stream) stream.session?.close();
      else ctx.set('Connection', 'close');
    }
    await next();
  };
}
