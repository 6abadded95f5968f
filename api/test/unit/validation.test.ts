import test from 'ava';
import fc from 'fast-check';
import { commonPasswordCount, isCommonPassword } from '../../src/domain/passwords/common-passwords.js';
import { newPasswordSchema, presentedPasswordSchema } from '../../src/domain/passwords/password-policy.js';
import { DomainError } from '../../src/errors.js';
import { decodeCursor, encodeCursor } from '../../src/http/cursor.js';
import { listUsersQuery, registerBody, updateProfileBody } from '../../src/http/schemas.js';
import { validate } from '../../src/http/validate.js';
import { anyCharacter, anyText } from '../support/unicode-arbitraries.js';

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

const nameMessage = (name: string) => fieldsOf(() => validate(updateProfileBody, { name }))?.fields?.name;

test('names refuse control, bidirectional, zero-width and separator characters and lone surrogates', (t) => {
  const refused = {
    '\u0000': 'U+0000',
    '\u0007': 'U+0007',
    '\n': 'U+000A',
    '\u007f': 'U+007F',
    '\u0085': 'U+0085',
    '\u009f': 'U+009F',
    '\u061c': 'U+061C',
    '\u200b': 'U+200B',
    '\u200c': 'U+200C',
    '\u200d': 'U+200D',
    '\u200e': 'U+200E',
    '\u200f': 'U+200F',
    '\u2028': 'U+2028',
    '\u2029': 'U+2029',
    '\u202a': 'U+202A',
    '\u202e': 'U+202E',
    '\u2060': 'U+2060',
    '\u2066': 'U+2066',
    '\u2069': 'U+2069',
    '\ufeff': 'U+FEFF',
    '\ud800': 'U+D800',
    '\udfff': 'U+DFFF',
  };
  for (const [character, codePoint] of Object.entries(refused)) {
    t.is(
      nameMessage(`Ada${character}Lovelace`),
      `must not contain control, bidirectional-control, zero-width or unpaired surrogate characters (found ${codePoint})`,
      codePoint,
    );
  }
  // At the edges too, where trimming would otherwise have hidden them.
  t.regex(nameMessage('Ada\n') ?? '', /U\+000A/);
  t.regex(
    fieldsOf(() =>
      validate(registerBody, { email: 'a@b.co', password: 'x'.repeat(8), name: '\u202egnp.exe' }),
    )?.fields?.name ?? '',
    /U\+202E/,
  );
});

test('names keep what people write: accents, scripts, emoji, a paired surrogate', (t) => {
  for (const name of ['Zoë Ångström', 'محمد', '李小龍', 'Ada 😀', 'e\u0301', 'Ｎａｍｅ', 'O\u2019Brien']) {
    t.is(nameMessage(name), undefined, name);
  }
  t.is(validate(updateProfileBody, { name: ' e\u0301 ' }).name, 'é', 'trimmed, then NFC');
});

test('name lengths count characters, not UTF-16 units', (t) => {
  t.is(nameMessage('😀'.repeat(100)), undefined);
  t.is(nameMessage('😀'.repeat(101)), 'must be at most 100 characters');
  t.is(nameMessage(` ${'x'.repeat(100)}\u3000`), undefined, 'surrounding spaces do not count');
  t.is(nameMessage('\u00a0\u3000 '), 'is required');
});

const NAME_PATTERN = updateProfileBody.shape.name.meta()?.pattern as string;
const EMAIL_PATTERN = registerBody.shape.email.meta()?.pattern as string;
const acceptedBy = (schema: { safeParse(value: unknown): { success: boolean } }) => (value: string) =>
  schema.safeParse(value).success;

/** No portable pattern can refuse them (see free-text.ts); the validation does. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** The OpenAPI document publishes these patterns; a client (or a contract fuzzer) relies on them. */
test('the published name pattern accepts exactly the well-formed names the API accepts', (t) => {
  const pattern = new RegExp(NAME_PATTERN, 'u');
  const accepted = acceptedBy(updateProfileBody.shape.name);
  const names = fc.oneof(
    anyText({ maxLength: 12 }),
    fc
      .tuple(
        anyText({ maxLength: 3 }),
        fc.string({ minLength: 95, maxLength: 103 }),
        anyText({ maxLength: 3 }),
      )
      .map((parts) => parts.join('')),
    fc
      .tuple(fc.constantFrom(' ', '\u3000', '\t', '\ufeff'), fc.string({ unit: 'grapheme', maxLength: 5 }))
      .map(([edge, text]) => edge + text + edge),
  );
  fc.assert(
    fc.property(names, (name) =>
      LONE_SURROGATE.test(name) ? !accepted(name) : pattern.test(name) === accepted(name),
    ),
    { numRuns: 5_000 },
  );
  t.pass();
});

test('the published email pattern and maxLength accept exactly the emails the API accepts', (t) => {
  const pattern = new RegExp(EMAIL_PATTERN, 'u');
  const documented = (email: string) => characterCountOf(email) <= 254 && pattern.test(email);
  const accepted = acceptedBy(registerBody.shape.email);
  const emails = fc.oneof(
    fc.emailAddress(),
    fc
      .tuple(
        fc.array(anyCharacter, { maxLength: 3 }),
        fc.emailAddress(),
        fc.array(anyCharacter, { maxLength: 3 }),
      )
      .map(([before, email, after]) => before.join('') + email + after.join('')),
    fc
      .tuple(fc.nat({ max: 10 }), fc.emailAddress())
      .map(([pad, email]) => `${' '.repeat(pad)}${email.padStart(250, 'a')}`),
    anyText({ maxLength: 20 }).map((text) => `${text}@example.com`),
  );
  fc.assert(
    fc.property(emails, (email) => documented(email) === accepted(email)),
    { numRuns: 5_000 },
  );
  t.pass();
});

const characterCountOf = (text: string) => [...text].length;
