import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import { routeTemplate } from './route-label.js';

declare module 'koa' {
  interface DefaultState {
    /** The request's logger: every line it writes carries the request id (and trace id). */
    logger: Logger;
  }
}

/**
 * Gives the request a child logger bound to its request id and writes one access line when the
 * response is done. Health probes and scrapes log at debug so they do not drown the real traffic.
 */
export function accessLog(logger: Logger): Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    ctx.state.logger = logger.child({ requestId: ctx.state.requestId });
    try {
      await next();
    } finally {
      const route = routeTemplate(ctx);
      const quiet = route.startsWith('/health/') || route === '/metrics';
      ctx.state.logger[quiet ? 'debug' : 'info'](
        {
          method: ctx.method,
          route,
          status: ctx.status,
          durationMs: Number(process.hrtime.bigint() - started) / 1e6,
          userId: ctx.state.principal?.user.id,
        },
        'request',
      );
    }
  };
}
