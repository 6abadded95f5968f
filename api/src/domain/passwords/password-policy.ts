import { z } from 'zod';
import { isCommonPassword } from './common-passwords.js';

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

/**
 * NFKC so that the same password typed on different keyboards or platforms hashes the same
 * (NIST SP 800-63B 5.1.1.2). Length is counted in code points, not UTF-16 units.
 */
export const normalizePassword = (password: string) => password.normalize('NFKC');

/**
 * The password rules of ASVS 6.2: length only, no composition rules, and not one of the
 * passwords attackers try first.
 */
export const newPasswordSchema = z
  .string()
  .transform(normalizePassword)
  .superRefine((password, ctx) => {
    const length = [...password].length;
    if (length < PASSWORD_MIN_LENGTH) {
      ctx.addIssue({ code: 'custom', message: `must be at least ${PASSWORD_MIN_LENGTH} characters` });
    } else if (length > PASSWORD_MAX_LENGTH) {
      ctx.addIssue({ code: 'custom', message: `must be at most ${PASSWORD_MAX_LENGTH} characters` });
    } else if (isCommonPassword(password)) {
      ctx.addIssue({ code: 'custom', message: 'is too common; choose a less guessable password' });
    }
  });

/**
 * A password presented for verification: normalised the same way, bounded so that a megabyte
 * "password" cannot be used to burn CPU, but never checked against the policy (old passwords
 * may predate it).
 */
export const presentedPasswordSchema = z
  .string()
  .min(1, 'is required')
  .max(PASSWORD_MAX_LENGTH * 4, 'is too long')
  .transform(normalizePassword);
