import type { Context } from 'koa';
import { DomainError } from '../errors.js';
import type { PasswordClient } from './keys.js';
import type { LoginThrottle } from './login.js';

/** The error code that says the password checked was wrong: a login's, or a signed-in user's. */
export type WrongPasswordCode = 'auth.invalid_credentials' | 'auth.wrong_password';

export const isWrongPassword = (error: unknown, code: WrongPasswordCode): error is DomainError =>
  error instanceof DomainError && error.code === code;

/**
 * Runs a password check under the login limits: counted before the password is checked, its
 * headers on the answer, and settled by the outcome: only a wrong password lengthens the back-off;
 * any other failure (a database outage, say) leaves the attempt counted but says nothing about
 * the password.
 */
export async function throttledPasswordCheck<T>(
  throttle: LoginThrottle,
  ctx: Context,
  who: { client: PasswordClient; email: string; wrongPassword: WrongPasswordCode },
  check: () => Promise<T>,
): Promise<T> {
  const attempt = await throttle.begin(who.client, who.email);
  ctx.set(attempt.headers);
  try {
    const result = await check();
    await attempt.succeeded();
    return result;
  } catch (error) {
    if (isWrongPassword(error, who.wrongPassword)) await attempt.failed();
    throw error;
  }
}
