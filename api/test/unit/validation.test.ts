import test from 'ava';
import { commonPasswordCount, isCommonPassword } from '../../src/domain/passwords/common-passwords.js';
import { newPasswordSchema, presentedPasswordSchema } from '../../src/domain/passwords/password-policy.js';
import { DomainError } from '../../src/errors.js';
import { decodeCursor, encodeCursor } from '../../src/http/cursor.js';
import { listUsersQuery, registerBody, updateProfileBody } from '../../src/http/schemas.js';
import { validate } from '../../src/http/validate.js';

const fieldsOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return { code: error.code, status: error.status, fields: error.fields };
    throw error;
  }
  return undefined;
};

test('the common-password list is large and case-insensitive', (t) => {
  t.true(commonPasswordCount >= 10_000);
  t.true(isCommonPassword('password'));
  t.true(isCommonPassword('PASSWORD'));
  t.true(isCommonPassword('iloveyou'));
  t.false(isCommonPassword('correct horse battery staple'));
});

test('new passwords: 8 to 128 characters after NFKC, not common, no composition rules', (t) => {
  t.false(newPasswordSchema.safeParse('1234567').success);
  t.true(newPasswordSchema.safeParse('lowercase only words').success);
  t.true(newPasswordSchema.safeParse('x'.repeat(128)).success);
  t.false(newPasswordSchema.safeParse('x'.repeat(129)).success);
  t.false(newPasswordSchema.safeParse('baseball').success);
  // Full-width letters normalise to ASCII, so a common password cannot hide behind them.
  t.is(
    newPasswordSchema.safeParse('ｐａｓｓｗｏｒｄ').error?.issues[0]?.message,
    'is too common; choose a less guessable password',
  );
  t.is(newPasswordSchema.parse('ﬁne passphrase'), 'fine passphrase');
  // Eight astral-plane characters are 16 UTF-16 units but 8 characters.
  t.true(newPasswordSchema.safeParse('𝔸𝔹ℂ𝔻𝔼𝔽𝔾ℍ').success);
});

test('presented passwords are normalised the same way but never policy-checked', (t) => {
  t.is(presentedPasswordSchema.parse('ｐａｓｓ'), 'pass');
  t.false(presentedPasswordSchema.safeParse('').success);
  t.false(presentedPasswordSchema.safeParse('x'.repeat(513)).success);
});

test('validate reports each problem against its field', (t) => {
  t.deepEqual(
    fieldsOf(() => validate(registerBody, { email: 'bad', password: 'short', extra: 1 })),
    {
      code: 'validation.failed',
      status: 400,
      fields: {
        email: 'is not a valid email address',
        password: 'must be at least 8 characters',
        name: 'is required',
        extra: 'is not an accepted field',
      },
    },
  );
  t.deepEqual(fieldsOf(() => validate(updateProfileBody, undefined))?.fields, {
    body: 'is required',
  });
  t.deepEqual(fieldsOf(() => validate(updateProfileBody, { name: '   ' }))?.fields, { name: 'is required' });
});

test('valid input comes back cleaned', (t) => {
  t.deepEqual(
    validate(registerBody, { email: ' Ada@Example.test ', password: 'correct horse battery', name: ' Ada ' }),
    {
      email: 'Ada@Example.test',
      password: 'correct horse battery',
      name: 'Ada',
    },
  );
  t.deepEqual(validate(listUsersQuery, {}), { limit: 20 });
  t.deepEqual(validate(listUsersQuery, { limit: '100' }), { limit: 100 });
});

test('cursors round-trip and foreign ones are a validation error on the cursor field', (t) => {
  const cursor = {
    createdAt: new Date('2026-03-04T05:06:07.089Z'),
    id: '0190c1a0-0000-7000-8000-000000000001',
  };
  t.deepEqual(decodeCursor(encodeCursor(cursor)), cursor);
  for (const text of [
    'garbage',
    Buffer.from('{"t":"x","id":"y"}').toString('base64url'),
    Buffer.from('[]').toString('base64url'),
  ]) {
    t.deepEqual(fieldsOf(() => decodeCursor(text))?.fields, { cursor: 'is not a cursor this API issued' });
  }
});
