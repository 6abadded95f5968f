import { z } from 'zod';
import {
  newPasswordSchema,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  presentedPasswordSchema,
} from '../domain/passwords/password-policy.js';
import {
  characterCount,
  firstRefusedCharacter,
  freeTextPattern,
  refusedCharacterMessage,
  TRIMMABLE_CLASS,
} from './free-text.js';

/**
 * Request schemas: strict, so a field the API does not know is an error rather than ignored.
 * `.meta()` only annotates the OpenAPI document: zod-to-openapi documents the input side of a
 * transform, which would otherwise lose the bounds checked after normalisation.
 */
/**
 * Checked within 254 characters as sent, surrounding spaces included, so that the published
 * maxLength and pattern describe exactly what is accepted. The address itself is ASCII only, which
 * keeps control, bidirectional and zero-width characters out of it.
 */
const email = z
  .string()
  .max(254, 'must be at most 254 characters')
  .trim()
  .pipe(z.email({ pattern: z.regexes.email, error: 'is not a valid email address' }))
  .meta({
    maxLength: 254,
    pattern: `^${TRIMMABLE_CLASS}*${z.regexes.email.source.slice(1, -1)}${TRIMMABLE_CLASS}*$`,
    description:
      'An address such as `ada@example.com` (ASCII). Surrounding spaces are trimmed; an account is found whatever the case of its email.',
    examples: ['ada@example.com'],
  });

const DISPLAY_NAME_MAX_LENGTH = 100;

/**
 * Checked as sent, then trimmed and NFC-normalised. Lengths count characters (code points) of the
 * trimmed text, as the published pattern does.
 */
const displayName = z
  .string()
  .superRefine((name, ctx) => {
    const refused = firstRefusedCharacter(name);
    if (refused) ctx.addIssue({ code: 'custom', message: refusedCharacterMessage(refused) });
  })
  .transform((name) => name.trim())
  .superRefine((name, ctx) => {
    const length = characterCount(name);
    if (length === 0) ctx.addIssue({ code: 'custom', message: 'is required' });
    if (length > DISPLAY_NAME_MAX_LENGTH) {
      ctx.addIssue({ code: 'custom', message: `must be at most ${DISPLAY_NAME_MAX_LENGTH} characters` });
    }
  })
  .transform((name) => name.normalize('NFC'))
  .meta({
    pattern: freeTextPattern(DISPLAY_NAME_MAX_LENGTH),
    description: `1 to ${DISPLAY_NAME_MAX_LENGTH} characters once surrounding spaces are trimmed; no control characters (U+0000–U+001F, U+007F–U+009F), bidirectional controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), zero-width characters (U+200B–U+200D, U+2060, U+FEFF), line or paragraph separators (U+2028, U+2029) or unpaired surrogates. Stored NFC-normalised.`,
    examples: ['Ada Lovelace'],
  });

// No minLength or maxLength: JSON Schema counts characters as sent, the policy counts them after
// NFKC ("\uFB01" is one character typed and two normalised), so published bounds would be untrue
// both ways. The description states the rule.
const newPassword = newPasswordSchema.meta({
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
