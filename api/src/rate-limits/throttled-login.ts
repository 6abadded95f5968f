import type { Context } from 'koa';
import { DomainError } from '../errors.js';
import type { LoginThrottle } from './login.js';

/**
 * Runs a login under the login limits: counted before the password is checked, its headers on the
 * answer, and settled by the outcome: only wrong credentials lengthen the back-off; any other
 * failure (a database outage, say) leaves the attempt counted but says nothing about the password.
 */
export async function throttledLogin<T>(
  throttle: LoginThrottle,
  ctx: Context,
  email: string,
  login: () => Promise<T>,
): Promise<T> {
  const attempt = await throttle.begin(ctx.ip, email);
  ctx.set(attempt.headers);
  try {
    const result = await login();
    await attempt.succeeded();
    return result;
  } catch (error) {
    if (error instanceof DomainError && error.code === 'auth.invalid_credentials') await attempt.failed();
    throw error;
  }
}
