import Router from '@koa/router';
import Koa from 'koa';
import type { Logger } from 'pino';
import type { KeySet } from './domain/tokens/key-set.js';
import { errorMapper } from './http/middleware/error-mapper.js';
import { jsonBody } from './http/middleware/json-body.js';
import { requestId } from './http/middleware/request-id.js';
import { accountRoutes } from './http/routes/account-routes.js';
import { type AuthRouteSettings, authRoutes } from './http/routes/auth-routes.js';
import { publicRoutes, type ReadinessReport } from './http/routes/public-routes.js';
import type { AccountService } from './services/account-service.js';
import type { AuthService } from './services/auth-service.js';

export interface AppDependencies {
  logger: Logger;
  auth: AuthService;
  accounts: AccountService;
  keys: () => KeySet;
  readiness: () => Promise<ReadinessReport>;
  bodyLimitBytes: number;
  authRoutes: AuthRouteSettings;
}

/** Composes the middleware chain and the routers; it holds no logic of its own. */
export function createApp(deps: AppDependencies): Koa {
  const app = new Koa({ proxy: false });

  const api = new Router({ prefix: '/api/v1' });
  api.use(async (ctx, next) => {
    // Tokens and personal data must never be kept by a browser or proxy cache.
    ctx.set('Cache-Control', 'no-store');
    await next();
  });
  for (const routes of [authRoutes(deps.auth, deps.authRoutes), accountRoutes(deps.auth, deps.accounts)]) {
    api.use(routes.routes(), routes.allowedMethods({ throw: true }));
  }
  const root = publicRoutes(deps.keys, deps.readiness);

  app.use(requestId());
  app.use(errorMapper(deps.logger));
  app.use(jsonBody(deps.bodyLimitBytes));
  app.use(api.routes());
  app.use(api.allowedMethods({ throw: true }));
  app.use(root.routes());
  app.use(root.allowedMethods({ throw: true }));
  return app;
}
