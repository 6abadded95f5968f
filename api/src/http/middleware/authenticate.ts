import type { Middleware } from 'koa';
import { forbidden, missingToken } from '../../errors.js';
import type { AuthService, Principal } from '../../services/auth-service.js';

declare module 'koa' {
  interface DefaultState {
    principal?: Principal;
  }
}

const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/;

/** Requires a valid access token whose session and account are still live. */
export function authenticate(auth: AuthService): Middleware {
  return async (ctx, next) => {
    const match = BEARER.exec(ctx.get('Authorization'));
    if (!match?.[1]) throw missingToken();
    ctx.state.principal = await auth.authenticate(match[1]);
    await next();
  };
}

export function requireRole(role: Principal['user']['role']): Middleware {
  return async (ctx, next) => {
    if (ctx.state.principal?.user.role !== role) throw forbidden();
    await next();
  };
}

/** For handlers mounted behind `authenticate`: the principal is always there. */
export function principalOf(state: { principal?: Principal }): Principal {
  if (!state.principal) throw missingToken();
  return state.principal;
}
