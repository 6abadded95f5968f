import { hash } from '@node-rs/argon2';
import test from 'ava';
import pg from 'pg';
import { ResilientDatabase } from '../../src/db/resilient-database.js';
import { argon2idHasher, type PasswordHasher } from '../../src/domain/passwords/password-hasher.js';
import { UserRepository } from '../../src/repositories/user-repository.js';
import { logIn, type SignedIn, signUpAndIn } from '../support/accounts.js';
import { startApi, type TestApi } from '../support/api-server.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { collectLogLines } from '../support/log-lines.js';

/** argon2id as an older release might have configured it: within ASVS, but not what is configured now. */
const OLDER_PARAMETERS = { algorithm: 2, memoryCost: 12_288, timeCost: 3, parallelism: 1 } as const;
const CONFIGURED = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/;

/** The real hasher, except that hashing can be made to fail once the account exists. */
let hashingFails = false;
const failingHasher: PasswordHasher = {
  ...argon2idHasher,
  hash: (password) =>
    hashingFails ? Promise.reject(new Error('hashing broke')) : argon2idHasher.hash(password),
};

let database: TestDatabase;
let client: pg.Client;
let api: TestApi;
let apiWhoseHashingFails: TestApi;
const logs = collectLogLines();

test.before(async () => {
  database = await createTestDatabase();
  api = await startApi(
    { DATABASE_URL: database.url, LOG_LEVEL: 'info' },
    { logDestination: logs.destination },
  );
  apiWhoseHashingFails = await startApi(
    { DATABASE_URL: database.url, LOG_LEVEL: 'info' },
    { hasher: failingHasher, logDestination: logs.destination },
  );
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
});

test.after.always(async () => {
  await client?.end();
  await api?.close();
  await apiWhoseHashingFails?.close();
  await database?.drop();
});

interface StoredPassword {
  password_hash: string;
  password_changed_at: Date;
  updated_at: Date;
}

const storedPassword = async (userId: string): Promise<StoredPassword> =>
  (
    await client.query<StoredPassword>(
      'select password_hash, password_changed_at, updated_at from users where id = $1',
      [userId],
    )
  ).rows[0] as StoredPassword;

/** The account as an older release left it: its hash made with the older parameters. */
async function withOlderHash(user: SignedIn): Promise<StoredPassword> {
  const older = await hash(user.password, OLDER_PARAMETERS);
  await client.query('update users set password_hash = $1 where id = $2', [older, user.userId]);
  return storedPassword(user.userId);
}

/** What the API logged about the user's password hash (access lines carry the user id too). */
const hashLines = (userId: string) =>
  logs.parsed().filter((line) => line.userId === userId && line.msg.startsWith('password hash'));

test.serial('a login replaces a hash made with other parameters, and changes nothing else', async (t) => {
  const user = await signUpAndIn(api);
  const before = await withOlderHash(user);
  t.regex(before.password_hash, /\$m=12288,t=3,p=1\$/);

  const second = await logIn(api, user.email, user.password);
  const after = await storedPassword(user.userId);
  t.regex(after.password_hash, CONFIGURED);
  t.true(await argon2idHasher.verify(after.password_hash, user.password));
  t.deepEqual(after.password_changed_at, before.password_changed_at);
  t.deepEqual(after.updated_at, before.updated_at, 'the account as its owner sees it did not change');

  const refreshed = await api.request('POST', '/api/v1/auth/refresh', {
    json: { refreshToken: user.refreshToken },
  });
  t.is(refreshed.status, 200, 'the session opened before the upgrade goes on');
  const sessions = await api.request('GET', '/api/v1/sessions', { token: second.accessToken });
  t.is(sessions.body.data.sessions.length, 2);

  await logIn(api, user.email, user.password);
  t.is((await storedPassword(user.userId)).password_hash, after.password_hash, 'upgraded once only');
  t.deepEqual(
    hashLines(user.userId).map((line) => [line.level, line.msg]),
    [[30, 'password hash upgraded to the configured parameters']],
  );
});

test.serial('a hash with the configured parameters is left as it is', async (t) => {
  const user = await signUpAndIn(api);
  const before = await storedPassword(user.userId);
  await logIn(api, user.email, user.password);
  t.deepEqual(await storedPassword(user.userId), before);
  t.deepEqual(hashLines(user.userId), []);
});

test.serial('a failed upgrade never fails the login: it is logged and tried again at the next', async (t) => {
  const user = await signUpAndIn(apiWhoseHashingFails);
  const before = await withOlderHash(user);
  hashingFails = true;
  try {
    const login = await apiWhoseHashingFails.request('POST', '/api/v1/auth/login', {
      json: { email: user.email, password: user.password },
    });
    t.is(login.status, 200);
  } finally {
    hashingFails = false;
  }
  t.deepEqual(await storedPassword(user.userId), before);
  const [failure] = hashLines(user.userId);
  t.like(failure, { level: 40, msg: 'password hash upgrade failed; the login goes on' });
  t.regex(failure?.err?.message ?? '', /hashing broke/);

  await logIn(apiWhoseHashingFails, user.email, user.password);
  t.regex((await storedPassword(user.userId)).password_hash, CONFIGURED);
});

test.serial('an upgrade never overwrites a password changed since the login read the account', async (t) => {
  const user = await signUpAndIn(api);
  const read = await withOlderHash(user);
  const changed = await api.request('PUT', '/api/v1/users/me/password', {
    token: user.accessToken,
    json: { currentPassword: user.password, newPassword: 'a new and long passphrase' },
  });
  t.is(changed.status, 200);
  const afterChange = await storedPassword(user.userId);

  const users = new UserRepository(new ResilientDatabase(api.runtime.database.knex), () => {});
  const upgrade = await argon2idHasher.hash(user.password);
  t.false(await users.replacePasswordHash(user.userId, read.password_hash, upgrade));
  t.deepEqual(await storedPassword(user.userId), afterChange);
});
