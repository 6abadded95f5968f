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

type Role = Principal['user']['role'];

/**
 * Requires a role, as the database holds it now: the principal may come from the cache, and a
 * demotion must take effect at once on every instance, even one that was not told of it.
 */
export function requireRole(
  role: Role,
  currentRole: (userId: string) => Promise<Role | undefined>,
): Middleware {
  return async (ctx, next) => {
    const { principal } = ctx.state;
    if (!principal || (await currentRole(principal.user.id)) !== role) throw forbidden();
    await next();
  };
}

/** For handlers mounted behind `authenticate`: the principal is always there. */
export function principalOf(state: { principal?: Principal }): Principal {
  if (!state.principal) throw missingToken();
  return state.principal;
}
