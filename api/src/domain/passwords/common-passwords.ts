import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * The 30 000 most common passwords from zxcvbn's frequency lists (MIT), loaded once. The list is
 * lower-case, so lookups are too: "Password1" is as guessable as "password1".
 */
const list: string[] = (require('zxcvbn/lib/frequency_lists.js') as { passwords: string[] }).passwords;
const commonPasswords: ReadonlySet<string> = new Set(list);

export const commonPasswordCount = commonPasswords.size;

export function isCommonPassword(password: string): boolean {
  return commonPasswords.has(password.toLowerCase());
}
