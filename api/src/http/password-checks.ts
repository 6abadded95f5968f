import type { Context } from 'koa';
import { tooManyWrongPasswords } from '../errors.js';
import type { RateLimits } from '../rate-limits/create-rate-limits.js';
import { isWrongPassword, throttledPasswordCheck } from '../rate-limits/throttled-login.js';
import type { Principal } from '../services/auth-service.js';
import type { DeviceCookies } from './device-cookie.js';

/**
 * Every place a password is checked goes through here, so none of them is an unthrottled oracle:
 * the same limits and back-off per account and client for logins and for signed-in users.
 */
export interface PasswordChecks {
  /** A login: on success the client gets a device cookie for the account. */
  login<T>(ctx: Context, email: string, login: () => Promise<T>): Promise<T>;
  /**
   * An action that needs the signed-in user's password (a password change, an account deletion).
   * A session that gives too many wrong ones is ended and answered 401, so a stolen access token
   * is good for a few guesses at most.
   */
  confirm<T>(ctx: Context, principal: Principal, action: () => Promise<T>): Promise<T>;
}

export interface PasswordCheckDependencies {
  limits: RateLimits;
  devices: DeviceCookies;
  endSession(principal: Principal): Promise<void>;
}

export function passwordChecks({ limits, devices, endSession }: PasswordCheckDependencies): PasswordChecks {
  return {
    async login(ctx, email, login) {
      const client = await devices.clientOf(ctx, email);
      const who = { client, email, wrongPassword: 'auth.invalid_credentials' } as const;
      const result = await throttledPasswordCheck(limits.login, ctx, who, login);
      await devices.remember(ctx, email);
      return result;
    },

    async confirm(ctx, principal, action) {
      const { email } = principal.user;
      const client = await devices.clientOf(ctx, email);
      const who = { client, email, wrongPassword: 'auth.wrong_password' } as const;
      try {
        return await throttledPasswordCheck(limits.login, ctx, who, action);
      } catch (error) {
        if (!isWrongPassword(error, who.wrongPassword)) throw error;
        const { endSession: mustEnd } = await limits.countWrongPassword(principal.sessionId);
        if (!mustEnd) throw error;
        await endSession(principal);
        throw tooManyWrongPasswords(error.fields);
      }
    },
  };
}
