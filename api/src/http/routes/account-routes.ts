import Router from '@koa/router';
import type { AccountService } from '../../services/account-service.js';
import type { AuthService } from '../../services/auth-service.js';
import { toPublicUser } from '../../services/user-view.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { success } from '../jsend.js';
import type { AuthAudit } from '../middleware/auth-audit.js';
import { authenticate, principalOf, requireRole } from '../middleware/authenticate.js';
import type { PasswordChecks } from '../password-checks.js';
import {
  changePasswordBody,
  deleteAccountBody,
  listUsersQuery,
  sessionParams,
  updateProfileBody,
} from '../schemas.js';
import { validate } from '../validate.js';

/** Everything under /users and /sessions: the signed-in user's own account, and the admin listing. */
export function accountRoutes(
  auth: AuthService,
  accounts: AccountService,
  passwords: PasswordChecks,
  audit: AuthAudit,
): Router {
  const router = new Router();
  // Router-level middleware runs only for requests that match one of this router's routes.
  router.use(authenticate(auth));

  router.get('/users/me', (ctx) => {
    ctx.body = success({ user: toPublicUser(principalOf(ctx.state).user) });
  });

  router.patch('/users/me', async (ctx) => {
    const { name } = validate(updateProfileBody, ctx.request.json);
    ctx.body = success({ user: await accounts.rename(principalOf(ctx.state), name) });
  });

  router.delete('/users/me', audit('account_delete'), async (ctx) => {
    const { password } = validate(deleteAccountBody, ctx.request.json);
    const principal = principalOf(ctx.state);
    await passwords.confirm(ctx, principal, () => accounts.deleteAccount(principal, password));
    ctx.body = success(null);
  });

  router.put('/users/me/password', audit('password_change'), async (ctx) => {
    const { currentPassword, newPassword } = validate(changePasswordBody, ctx.request.json);
    const principal = principalOf(ctx.state);
    await passwords.confirm(ctx, principal, () =>
      accounts.changePassword(principal, currentPassword, newPassword),
    );
    ctx.body = success(null);
  });

  router.get(
    '/users',
    requireRole('admin', (userId) => accounts.currentRole(userId)),
    async (ctx) => {
      const { limit, cursor } = validate(listUsersQuery, ctx.query);
      const page = await accounts.listUsers(limit, cursor === undefined ? undefined : decodeCursor(cursor));
      ctx.body = success({ users: page.users, nextCursor: page.nextCursor && encodeCursor(page.nextCursor) });
    },
  );

  router.get('/sessions', async (ctx) => {
    ctx.body = success({ sessions: await accounts.listSessions(principalOf(ctx.state)) });
  });

  router.delete('/sessions/:id', audit('session_end'), async (ctx) => {
    const { id } = validate(sessionParams, ctx.params);
    await accounts.endSession(principalOf(ctx.state), id);
    ctx.body = success(null);
  });

  return router;
}
