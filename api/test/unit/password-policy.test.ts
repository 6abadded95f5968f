import test from 'ava';
import {
  newPasswordSchema,
  normalizePassword,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  presentedPasswordSchema,
} from '../../src/domain/passwords/password-policy.js';
import { DomainError } from '../../src/errors.js';
import { changePasswordBody, deleteAccountBody, loginBody } from '../../src/http/schemas.js';
import { validate } from '../../src/http/validate.js';

/** Every issue a schema raises for `input`, as its zod code and message; none when it passes. */
const issuesOf = (schema: typeof newPasswordSchema | typeof presentedPasswordSchema, input: string) =>
  (schema.safeParse(input).error?.issues ?? []).map(({ code, message }) => ({ code, message }));

const fieldsOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error.fields;
    throw error;
  }
  return undefined;
};

const TOO_SHORT = { code: 'custom', message: 'must be at least 8 characters' };
const TOO_LONG = { code: 'custom', message: 'must be at most 128 characters' };
const TOO_COMMON = { code: 'custom', message: 'is too common; choose a less guessable password' };

test('the bounds are the documented ones', (t) => {
  t.is(PASSWORD_MIN_LENGTH, 8);
  t.is(PASSWORD_MAX_LENGTH, 128);
});

test('a new password has 8 to 128 characters, each bound included, and says which bound it missed', (t) => {
  t.deepEqual(issuesOf(newPasswordSchema, 'a b c d'), [TOO_SHORT]);
  t.deepEqual(issuesOf(newPasswordSchema, 'a b c de'), []);
  t.deepEqual(issuesOf(newPasswordSchema, 'x'.repeat(128)), []);
  t.deepEqual(issuesOf(newPasswordSchema, 'x'.repeat(129)), [TOO_LONG]);
});

test('a new password is counted in characters after NFKC, not in UTF-16 units or as typed', (t) => {
  t.deepEqual(issuesOf(newPasswordSchema, '𝔸'.repeat(8)), [], 'eight astral characters are sixteen units');
  t.deepEqual(issuesOf(newPasswordSchema, '𝔸'.repeat(129)), [TOO_LONG]);
  // U+FB01 (the "fi" ligature) is one character typed and two once normalised.
  t.deepEqual(issuesOf(newPasswordSchema, '\uFB01'.repeat(4)), [], 'eight characters after NFKC');
  t.deepEqual(issuesOf(newPasswordSchema, '\uFB01'.repeat(65)), [TOO_LONG]);
  t.is(newPasswordSchema.parse('ﬁne passphrase'), 'fine passphrase');
});

test('a common password is refused only when its length is fine, whatever its case or width', (t) => {
  t.deepEqual(issuesOf(newPasswordSchema, 'baseball'), [TOO_COMMON]);
  t.deepEqual(issuesOf(newPasswordSchema, 'BaseBall'), [TOO_COMMON]);
  t.deepEqual(issuesOf(newPasswordSchema, 'ｂａｓｅｂａｌｌ'), [TOO_COMMON]);
  t.deepEqual(issuesOf(newPasswordSchema, '123456'), [TOO_SHORT], 'short first, however common');
});

test('normalisation is NFKC and nothing more', (t) => {
  t.is(normalizePassword('ｐａｓｓ ＷＯＲＤ'), 'pass WORD');
  t.is(normalizePassword('  spaced  '), '  spaced  ', 'spaces are kept');
});

test('a presented password may be anything from 1 to 512 units long, so no valid long password is locked out', (t) => {
  t.deepEqual(issuesOf(presentedPasswordSchema, ''), [{ code: 'too_small', message: 'is required' }]);
  t.deepEqual(issuesOf(presentedPasswordSchema, 'x'), []);
  t.deepEqual(issuesOf(presentedPasswordSchema, 'x'.repeat(512)), []);
  t.deepEqual(issuesOf(presentedPasswordSchema, 'x'.repeat(513)), [
    { code: 'too_big', message: 'is too long' },
  ]);
  t.is(presentedPasswordSchema.parse('ｐａｓｓ'), 'pass', 'normalised like a new one');
  t.is(presentedPasswordSchema.parse('1234'), '1234', 'but never held to the policy');
});

test('every request that presents a password accepts 512 characters and names the field above that', (t) => {
  const long = 'x'.repeat(512);
  const email = 'ada@example.test';
  t.is(validate(loginBody, { email, password: long }).password, long);
  t.is(validate(deleteAccountBody, { password: long }).password, long);
  t.is(
    validate(changePasswordBody, { currentPassword: long, newPassword: 'a fine new passphrase' })
      .currentPassword,
    long,
  );

  const tooLong = `${long}x`;
  t.deepEqual(
    fieldsOf(() => validate(loginBody, { email, password: tooLong })),
    { password: 'is too long' },
  );
  t.deepEqual(
    fieldsOf(() => validate(deleteAccountBody, { password: tooLong })),
    { password: 'is too long' },
  );
  t.deepEqual(
    fieldsOf(() =>
      validate(changePasswordBody, { currentPassword: tooLong, newPassword: 'a fine new passphrase' }),
    ),
    { currentPassword: 'is too long' },
  );
});
