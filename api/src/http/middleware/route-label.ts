import type { Context } from 'koa';
import { UNMATCHED_ROUTE } from '../../observability/metric-catalog.js';

/**
 * The route template @koa/router matched ("/api/v1/sessions/:id"), never the raw path, so
 * labels and log fields stay few however many ids clients send.
 */
export function routeTemplate(ctx: Context): string {
  const matched = (ctx as Context & { _matchedRoute?: unknown })._matchedRoute;
  return typeof matched === 'string' ? matched : UNMATCHED_ROUTE;
}
