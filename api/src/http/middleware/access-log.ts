import type { Context, Middleware } from 'koa';
import type { Logger } from 'pino';
import { routeTemplate } from './route-label.js';

declare module 'koa' {
  interface DefaultState {
    /** The request's logger (see `requestLogger`); made on first use. */
    logger?: Logger;
  }
}

/**
 * The request's logger: every line it writes carries the request id and the trace id. Made only when something logs, as most requests log nothing else.
 */
export function requestLogger(ctx: Context, base: Logger): Logger {
  ctx.state.logger ??= base.child({ requestId: ctx.state.requestId, traceId: ctx.state.traceId });
  return ctx.state.logger;
}

/**
 * One access line per request, when the response is done. Health probes and scrapes log at debug
 * so they do not drown the real traffic.
 */
export function accessLog(logger: Logger): Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const route = routeTemplate(ctx);
      const level = route.startsWith('/health/') || route === '/metrics' ? 'debug' : 'info';
      if (logger.isLevelEnabled(level)) {
        logger[level](
          {
            requestId: ctx.state.requestId,
            traceId: ctx.state.traceId,
            method: ctx.method,
            route,
            status: ctx.status,
            durationMs: Number(process.hrtime.bigint() - started) / 1e6,
            userId: ctx.state.principal?.user.id,
          },
          'request',
        );
      }
    }
  };
}
