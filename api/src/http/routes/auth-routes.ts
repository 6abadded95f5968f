import Router from '@koa/router';
import type { Context } from 'koa';
import type { AuthService, ClientInfo } from '../../services/auth-service.js';
import { success } from '../jsend.js';
import { authenticate, principalOf } from '../middleware/authenticate.js';
import { loginBody, logoutBody, refreshBody, registerBody } from '../schemas.js';
import { validate } from '../validate.js';

const clientInfo = (ctx: Context): ClientInfo => ({
  userAgent: ctx.get('User-Agent').slice(0, 512) || null,
  ip: ctx.ip || null,
});

export function authRoutes(auth: AuthService): Router {
  const router = new Router({ prefix: '/auth' });

  router.post('/register', async (ctx) => {
    const user = await auth.register(validate(registerBody, ctx.request.json));
    ctx.status = 201;
    ctx.body = success({ user });
  });

  router.post('/login', async (ctx) => {
    ctx.body = success(await auth.login(validate(loginBody, ctx.request.json), clientInfo(ctx)));
  });

  router.post('/refresh', async (ctx) => {
    const { refreshToken } = validate(refreshBody, ctx.request.json);
    ctx.body = success(await auth.refresh(refreshToken, clientInfo(ctx)));
  });

  router.post('/logout', async (ctx) => {
    await auth.logout(validate(logoutBody, ctx.request.json).refreshToken);
    ctx.body = success(null);
  });

  router.post('/logout-all', authenticate(auth), async (ctx) => {
    await auth.logoutAll(principalOf(ctx.state).user.id);
    ctx.body = success(null);
  });

  return router;
}
