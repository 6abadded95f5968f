import test from 'ava';
import { argon2idHasher, type PasswordHasher } from '../../src/domain/passwords/password-hasher.js';
import { STRONG_PASSWORD, signUpAndIn, uniqueEmail } from '../support/accounts.js';
import { apiOnFreshDatabase } from '../support/api-server.js';

/** The real argon2id hasher, recording every verification the API asks for. */
const verifications: string[] = [];
const recordingHasher: PasswordHasher = {
  hash: argon2idHasher.hash,
  async verify(passwordHash, password) {
    verifications.push(passwordHash);
    return argon2idHasher.verify(passwordHash, password);
  },
  needsRehash: argon2idHasher.needsRehash,
};

const suite = apiOnFreshDatabase({}, { hasher: recordingHasher });

const login = (email: string, password: string) =>
  suite.api.request('POST', '/api/v1/auth/login', { json: { email, password } });

/**
 * Timing parity by construction: every failed login costs exactly one argon2id verification with
 * the same parameters, whether the account exists, is deleted or the password is wrong. (The
 * login benchmark reports the measured times side by side.)
 */
test.serial('unknown, deleted and wrong-password logins each cost one argon2id verification', async (t) => {
  const existing = await signUpAndIn(suite.api);
  const deleted = await signUpAndIn(suite.api);
  await suite.api.request('DELETE', '/api/v1/users/me', {
    token: deleted.accessToken,
    json: { password: deleted.password },
  });

  const cases = [
    ['unknown email', uniqueEmail('ghost'), 'some password'],
    ['wrong password', existing.email, 'not the password'],
    ['deleted account', deleted.email, deleted.password],
  ] as const;
  const bodies = [];
  for (const [label, email, password] of cases) {
    verifications.length = 0;
    const response = await login(email, password);
    t.is(response.status, 401, label);
    t.is(verifications.length, 1, label);
    t.regex(verifications[0] ?? '', /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/, label);
    const { requestId: _requestId, ...body } = response.body;
    bodies.push(body);
  }
  t.deepEqual(bodies[0], bodies[1]);
  t.deepEqual(bodies[1], bodies[2]);

  verifications.length = 0;
  t.is((await login(existing.email, STRONG_PASSWORD)).status, 200);
  t.is(verifications.length, 1);
});
