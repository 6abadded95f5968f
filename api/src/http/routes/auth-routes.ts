import Router from '@koa/router';
import type { Context } from 'koa';
import type { ClientInfo } from '../../domain/tokens/refresh-grace.js';
import { validationFailed } from '../../errors.js';
import type { RateLimits } from '../../rate-limits/create-rate-limits.js';
import type { AuthService, TokenPair } from '../../services/auth-service.js';
import { withoutRefusedCharacters } from '../free-text.js';
import { success } from '../jsend.js';
import { type AuthAudit, noteAuditSubject } from '../middleware/auth-audit.js';
import { authenticate, principalOf } from '../middleware/authenticate.js';
import type { PasswordChecks } from '../password-checks.js';
import {
  assertSameOriginRequest,
  clearRefreshCookie,
  readRefreshCookie,
  setRefreshCookie,
} from '../refresh-cookie.js';
import { loginBody, logoutBody, refreshBody, registerBody } from '../schemas.js';
import { validate } from '../validate.js';

export interface AuthRouteSettings {
  /** Origins allowed to send cookie-authenticated requests (the CORS allowlist). */
  allowedOrigins: readonly string[];
  /** Lifetime of the refresh cookie: the idle expiry of the token it holds. */
  refreshCookieMaxAgeSeconds: number;
}

/** The user agent is shown back in the session list, so it keeps no control or bidirectional characters. */
const clientInfo = (ctx: Context): ClientInfo => ({
  userAgent: withoutRefusedCharacters(ctx.get('User-Agent')).slice(0, 512) || null,
  ip: ctx.ip || null,
});

/** Where the refresh token of a request came from, and so where its successor must go. */
type Transport = 'body' | 'cookie';

export function authRoutes(
  auth: AuthService,
  limits: RateLimits,
  passwords: PasswordChecks,
  audit: AuthAudit,
  settings: AuthRouteSettings,
): Router {
  const router = new Router({ prefix: '/auth' });

  /** In cookie transport the refresh token goes into the HttpOnly cookie and out of the body. */
  const respondWithPair = (ctx: Context, pair: TokenPair, transport: Transport) => {
    if (transport === 'body') return pair;
    setRefreshCookie(ctx, pair.refreshToken, settings.refreshCookieMaxAgeSeconds);
    const { refreshToken: _inCookie, ...rest } = pair;
    return rest;
  };

  /** Body first; otherwise the cookie, which is accepted only from an allowed origin (CSRF). */
  const presentedRefreshToken = (ctx: Context, fromBody: string | undefined) => {
    if (fromBody !== undefined) return { token: fromBody, transport: 'body' as const };
    const fromCookie = readRefreshCookie(ctx);
    if (fromCookie === undefined) {
      throw validationFailed({ refreshToken: 'is required, in the body or in the refresh cookie' });
    }
    assertSameOriginRequest(ctx, settings.allowedOrigins);
    return { token: fromCookie, transport: 'cookie' as const };
  };

  router.post('/register', audit('register'), limits.register, async (ctx) => {
    const input = validate(registerBody, ctx.request.json);
    noteAuditSubject(ctx, { email: input.email });
    const user = await auth.register(input);
    noteAuditSubject(ctx, { userId: user.id });
    ctx.status = 201;
    ctx.body = success({ user });
  });

  router.post('/login', audit('login'), async (ctx) => {
    const { refreshTokenTransport, ...credentials } = validate(loginBody, ctx.request.json);
    noteAuditSubject(ctx, { email: credentials.email });
    const { user, sessionId, ...pair } = await passwords.login(ctx, credentials.email, () =>
      auth.login(credentials, clientInfo(ctx)),
    );
    noteAuditSubject(ctx, { userId: user.id, sessionId });
    ctx.body = success({ ...respondWithPair(ctx, pair, refreshTokenTransport), user });
  });

  router.post('/refresh', audit('refresh'), async (ctx) => {
    const body = validate(refreshBody, ctx.request.json);
    const { token, transport } = presentedRefreshToken(ctx, body?.refreshToken);
    const { pair, subject, grace } = await auth.refresh(token, clientInfo(ctx));
    noteAuditSubject(ctx, { ...subject, ...(grace ? { outcome: 'grace' } : {}) });
    ctx.body = success(respondWithPair(ctx, pair, transport));
  });

  router.post('/logout', audit('logout'), async (ctx) => {
    const body = validate(logoutBody, ctx.request.json);
    const { token, transport } = presentedRefreshToken(ctx, body?.refreshToken);
    await auth.logout(token);
    if (transport === 'cookie') clearRefreshCookie(ctx);
    ctx.body = success(null);
  });

  router.post('/logout-all', authenticate(auth), audit('logout_all'), async (ctx) => {
    await auth.logoutAll(principalOf(ctx.state).user.id);
    clearRefreshCookie(ctx);
    ctx.body = success(null);
  });

  return router;
}
