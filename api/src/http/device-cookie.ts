import type { Context } from 'koa';
import type { DeviceTokenService } from '../domain/tokens/device-tokens.js';
import { accountKey, type PasswordClient } from '../rate-limits/keys.js';
import { setHostCookie } from './refresh-cookie.js';

/**
 * `__Host-` like the refresh cookie: Secure, host-only and Path=/, so it reaches password changes
 * and account deletion as well as logins, and no subdomain can plant one.
 */
export const DEVICE_COOKIE = '__Host-skeleton-device';

/** How long a device is remembered after its last successful login (unless its key is retired sooner). */
export const DEVICE_COOKIE_MAX_AGE_SECONDS = 90 * 24 * 60 * 60;

/**
 * OWASP's device cookies: a client that has signed in to an account is recognised on its next
 * password attempts there, and limited on its own rather than with every stranger.
 */
export interface DeviceCookies {
  /** Who is asking about `email`: the device when its cookie is valid for that account, else the address. */
  clientOf(ctx: Context, email: string): Promise<PasswordClient>;
  /** After a successful login: a cookie naming a new device, bound to the account. */
  remember(ctx: Context, email: string): Promise<void>;
}

export function deviceCookies(tokens: DeviceTokenService): DeviceCookies {
  return {
    async clientOf(ctx, email) {
      const token = ctx.cookies.get(DEVICE_COOKIE);
      const deviceId = token && (await tokens.deviceOf(token, accountKey(email)));
      return deviceId ? { ip: ctx.ip, deviceId } : { ip: ctx.ip };
    },
    async remember(ctx, email) {
      const token = await tokens.issue(accountKey(email));
      setHostCookie(ctx, DEVICE_COOKIE, token, DEVICE_COOKIE_MAX_AGE_SECONDS);
    },
  };
}
