import { z } from 'zod';
import {
  newPasswordSchema,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  presentedPasswordSchema,
} from '../domain/passwords/password-policy.js';

/**
 * Request schemas: strict, so a field the API does not know is an error rather than ignored.
 * `.meta()` only annotates the OpenAPI document: zod-to-openapi documents the input side of a
 * transform, which would otherwise lose the bounds checked after normalisation.
 */
const email = z
  .string()
  .trim()
  .max(254, 'must be at most 254 characters')
  .pipe(z.email('is not a valid email address'))
  .meta({
    format: 'email',
    description: 'Surrounding spaces are trimmed; an account is found whatever the case of its email.',
    examples: ['ada@example.com'],
  });

/**
 * U+0000 cannot be stored in PostgreSQL text, so a name holding it was a 500. Refused as bad input;
 * other control characters stay accepted, as v1 promised (refusing them would tighten the contract).
 */
const hasNoNul = (name: string) => !name.includes('\u0000');

const displayName = z
  .string()
  .transform((name) => name.normalize('NFC').trim())
  .pipe(
    z
      .string()
      .min(1, 'is required')
      .max(100, 'must be at most 100 characters')
      .refine(hasNoNul, 'must not contain the NUL character (U+0000)'),
  )
  .meta({
    minLength: 1,
    maxLength: 100,
    description: 'NFC-normalised and trimmed; 1 to 100 characters after that, none of them U+0000.',
    examples: ['Ada Lovelace'],
  });

const newPassword = newPasswordSchema.meta({
  minLength: PASSWORD_MIN_LENGTH,
  maxLength: PASSWORD_MAX_LENGTH,
  description: `${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters after NFKC normalisation; no composition rules, but refused when among the most common passwords.`,
});

const presentedPassword = presentedPasswordSchema.meta({
  description: 'The password of the account as typed (NFKC-normalised before it is checked).',
});

const refreshToken = z
  .string()
  .min(1, 'is required')
  .max(512, 'is not a valid refresh token')
  .meta({ description: 'The refresh token of the last pair issued for the session.' });

export const registerBody = z.strictObject({ email, password: newPassword, name: displayName });
/** `refreshTokenTransport: cookie` is for browsers: the refresh token never reaches page scripts. */
export const loginBody = z.strictObject({
  email,
  password: presentedPassword,
  refreshTokenTransport: z.enum(['body', 'cookie']).default('body').meta({
    description:
      '`cookie` (for browsers) puts the refresh token in the HttpOnly `__Host-skeleton-refresh` cookie instead of the body.',
  }),
});
/** The refresh token comes in the body, or, when absent, from the refresh cookie. */
export const refreshBody = z
  .strictObject({ refreshToken: refreshToken.optional() })
  .optional()
  .meta({ description: 'Without `refreshToken` (or without a body) the refresh cookie is used.' });
export const logoutBody = refreshBody;
export const updateProfileBody = z.strictObject({ name: displayName });
export const deleteAccountBody = z.strictObject({ password: presentedPassword });
export const changePasswordBody = z.strictObject({
  currentPassword: presentedPassword,
  newPassword,
});
export const sessionParams = z.object({
  id: z.uuid('is not a valid session id').meta({ description: 'The id of a session of the signed-in user.' }),
});
export const listUsersQuery = z.strictObject({
  limit: z.coerce
    .number()
    .int('must be an integer')
    .min(1)
    .max(100)
    .default(20)
    .meta({ description: 'Page size.' }),
  cursor: z
    .string()
    .max(200)
    .optional()
    .meta({ description: 'The `nextCursor` of the previous page; absent for the first page.' }),
});
