import Router from '@koa/router';
import Koa from 'koa';
import type { Logger } from 'pino';
import type { KeySet } from './domain/tokens/key-set.js';
import { accessLog } from './http/middleware/access-log.js';
import type { AuthAudit } from './http/middleware/auth-audit.js';
import { limitClientRequests } from './http/middleware/client-rate-limit.js';
import { compression } from './http/middleware/compression.js';
import { corsAllowlist } from './http/middleware/cors.js';
import { closeConnectionsWhileDraining } from './http/middleware/drain.js';
import { errorMapper } from './http/middleware/error-mapper.js';
import { httpMetrics } from './http/middleware/http-metrics.js';
import { jsonBody } from './http/middleware/json-body.js';
import { requestId } from './http/middleware/request-id.js';
import { securityHeaders } from './http/middleware/security-headers.js';
import { traceId } from './http/middleware/trace-id.js';
import type { PasswordChecks } from './http/password-checks.js';
import { accountRoutes } from './http/routes/account-routes.js';
import { type AuthRouteSettings, authRoutes } from './http/routes/auth-routes.js';
import { metricsRoutes } from './http/routes/metrics-routes.js';
import { openapiRoutes } from './http/routes/openapi-routes.js';
import { publicRoutes, type ReadinessReport } from './http/routes/public-routes.js';
import type { Lifecycle } from './lifecycle.js';
import type { Metrics } from './observability/metrics.js';
import type { RateLimits } from './rate-limits/create-rate-limits.js';
import type { AccountService } from './services/account-service.js';
import type { AuthService } from './services/auth-service.js';

export interface AppDependencies {
  logger: Logger;
  audit: AuthAudit;
  metrics: Metrics;
  lifecycle: Lifecycle;
  auth: AuthService;
  accounts: AccountService;
  keys: () => KeySet;
  readiness: () => Promise<ReadinessReport>;
  bodyLimitBytes: number;
  authRoutes: AuthRouteSettings;
  corsOrigins: readonly string[];
  /** How many reverse proxies in front of the API may be trusted for X-Forwarded-For. */
  trustProxyHops: number;
  rateLimits: RateLimits;
  /** Logins and password confirmations, under the login limits. */
  passwordChecks: PasswordChecks;
  /** False when metrics have a port of their own (METRICS_PORT). */
  serveMetrics: boolean;
}

/** Composes the middleware chain and the routers; it holds no logic of its own. */
export function createApp(deps: AppDependencies): Koa {
  const app = new Koa({ proxy: deps.trustProxyHops > 0, maxIpsCount: deps.trustProxyHops });
  // Koa reports here what happens outside the middleware chain, such as a connection that breaks
  // after its request was read; with no listener it prints the stack to stderr, past the logs.
  app.on('error', (error: unknown) => {
    deps.logger.warn({ err: error }, 'connection failed outside the middleware chain');
  });

  const api = new Router({ prefix: '/api/v1' });
  api.use(async (ctx, next) => {
    // Tokens and personal data must never be kept by a browser or proxy cache.
    ctx.set('Cache-Control', 'no-store');
    await next();
  });
  for (const routes of [
    authRoutes(deps.auth, deps.rateLimits, deps.passwordChecks, deps.audit, deps.authRoutes),
    accountRoutes(deps.auth, deps.accounts, deps.passwordChecks, deps.audit),
  ]) {
    api.use(routes.routes(), routes.allowedMethods());
  }
  const root = publicRoutes(deps.keys, deps.readiness);
  root.use(openapiRoutes().routes());
  if (deps.serveMetrics) root.use(metricsRoutes(deps.metrics.registry).routes());

  // Outermost first: every later layer's outcome, errors included, is logged and counted.
  app.use(requestId());
  app.use(traceId());
  app.use(accessLog(deps.logger));
  app.use(httpMetrics(deps.metrics));
  app.use(errorMapper(deps.logger));
  app.use(closeConnectionsWhileDraining(deps.lifecycle));
  app.use(securityHeaders());
  app.use(corsAllowlist(deps.corsOrigins));
  app.use(compression());
  // Before the body is read: a refused client costs as little as possible.
  app.use(limitClientRequests(deps.rateLimits.perIp));
  app.use(jsonBody(deps.bodyLimitBytes));
  app.use(api.routes());
  // Without `throw` the router sets the Allow header (RFC 9110 requires it on a 405) and leaves the
  // status for the error mapper to answer.
  app.use(api.allowedMethods());
  app.use(root.routes());
  app.use(root.allowedMethods());
  return app;
}
