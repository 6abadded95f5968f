import Router from '@koa/router';
import type { Registry } from 'prom-client';

/** Prometheus scrape endpoint on the API's own port (when no METRICS_PORT is configured). */
export function metricsRoutes(registry: Registry): Router {
  const router = new Router();
  router.get('/metrics', async (ctx) => {
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });
  return router;
}
