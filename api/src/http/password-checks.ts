import type { Context } from 'koa';
import type { RateLimits } from '../rate-limits/create-rate-limits.js';
import { throttledPasswordCheck } from '../rate-limits/throttled-login.js';
import type { DeviceCookies } from './device-cookie.js';

/**
 * Every place a password is checked goes through here, so none of them is an unthrottled oracle:
 * the same limits and back-off per account and client.
 */
export interface PasswordChecks {
  /** A login: on success the client gets a device cookie for the account. */
  login<T>(ctx: Context, email: string, login: () => Promise<T>): Promise<T>;
}

export interface PasswordCheckDependencies {
  limits: RateLimits;
  devices: DeviceCookies;
}

export function passwordChecks({ limits, devices }: PasswordCheckDependencies): PasswordChecks {
  return {
    async login(ctx, email, login) {
      const client = await devices.clientOf(ctx, email);
      const who = { client, email, wrongPassword: 'auth.invalid_credentials' } as const;
      const result = await throttledPasswordCheck(limits.login, ctx, who, login);
      await devices.remember(ctx, email);
      return result;
    },
  };
}
