import type { Middleware } from 'koa';

/** The kubelet's probes and Prometheus' scrapes: refusing them would take a healthy pod out. */
const INFRASTRUCTURE_PATHS = /^\/(health\/|metrics$)/;

/** Applies the per-address limit to every request but the infrastructure's own. */
export function limitClientRequests(perIp: Middleware): Middleware {
  return (ctx, next) => (INFRASTRUCTURE_PATHS.test(ctx.path) ? next() : perIp(ctx, next));
}
