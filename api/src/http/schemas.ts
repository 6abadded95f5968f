import { z } from 'zod';
import { newPasswordSchema, presentedPasswordSchema } from '../domain/passwords/password-policy.js';

/** Request schemas: strict, so a field the API does not know is an error rather than ignored. */
const email = z
  .string()
  .trim()
  .max(254, 'must be at most 254 characters')
  .pipe(z.email('is not a valid email address'));

const displayName = z
  .string()
  .transform((name) => name.normalize('NFC').trim())
  .pipe(z.string().min(1, 'is required').max(100, 'must be at most 100 characters'));

const refreshToken = z.string().min(1, 'is required').max(512, 'is not a valid refresh token');

export const registerBody = z.strictObject({ email, password: newPasswordSchema, name: displayName });
/** `refreshTokenTransport: cookie` is for browsers: the refresh token never reaches page scripts. */
export const loginBody = z.strictObject({
  email,
  password: presentedPasswordSchema,
  refreshTokenTransport: z.enum(['body', 'cookie']).default('body'),
});
/** The refresh token comes in the body, or, when absent, from the refresh cookie. */
export const refreshBody = z.strictObject({ refreshToken: refreshToken.optional() }).optional();
export const logoutBody = refreshBody;
export const updateProfileBody = z.strictObject({ name: displayName });
export const deleteAccountBody = z.strictObject({ password: presentedPasswordSchema });
export const changePasswordBody = z.strictObject({
  currentPassword: presentedPasswordSchema,
  newPassword: newPasswordSchema,
});
export const sessionParams = z.object({ id: z.uuid('is not a valid session id') });
export const listUsersQuery = z.strictObject({
  limit: z.coerce.number().int('must be an integer').min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});
