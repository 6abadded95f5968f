import type { Middleware } from 'koa';
import type { Metrics } from '../../observability/metrics.js';
import { routeTemplate } from './route-label.js';

/** Counts and times every request by route template; runs outside the error mapper to see final statuses. */
export function httpMetrics(metrics: Metrics): Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.observeRequest(ctx.method, routeTemplate(ctx), ctx.status, seconds);
    }
  };
}
