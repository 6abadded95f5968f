import test from 'ava';
import type { PasswordHasher } from '../../src/domain/passwords/password-hasher.js';
import { type SignedIn, signUpAndIn, uniqueEmail } from '../support/accounts.js';
import { apiOnFreshDatabase } from '../support/api-server.js';
import { eventually } from '../support/eventually.js';

/**
 * A stand-in for argon2id that answers at once, or, while held, stays running until released:
 * the test decides when the hashing slot is busy.
 */
let held: Promise<void> | undefined;
let release = () => {};
let started = 0;
const heldHasher: PasswordHasher = {
  async hash(password) {
    started += 1;
    await held;
    return `fake$${password}`;
  },
  async verify(passwordHash, password) {
    started += 1;
    await held;
    return passwordHash === `fake$${password}`;
  },
  needsRehash: () => false,
};

const hold = () => {
  held = new Promise((resolve) => {
    release = resolve;
  });
};

/** One hash at a time and one waiting: the third request that needs a hash finds the queue full. */
const suite = apiOnFreshDatabase(
  { PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_QUEUE_MAX: '1', PASSWORD_HASH_RETRY_AFTER: '2s' },
  { hasher: heldHasher, validateResponses: true },
);

const metric = async (series: string) => {
  const text = await suite.api.runtime.metrics.registry.metrics();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
};

const login = (email: string, password: string) =>
  suite.api.request('POST', '/api/v1/auth/login', { json: { email, password } });

test.serial(
  'with the hashing queue full, every operation that hashes answers 503 with Retry-After at once',
  async (t) => {
    const user: SignedIn = await signUpAndIn(suite.api);
    const refusalsBefore = (await metric('password_hash_refusals_total')) ?? Number.NaN;
    hold();
    started = 0;
    const first = login(user.email, user.password);
    await eventually(() => (started === 1 ? true : undefined), 'the first login is hashing');
    const second = login(user.email, user.password);
    await eventually(
      async () => ((await metric('password_hash_jobs{state="waiting"}')) === 1 ? true : undefined),
      'the second login waits in the queue',
    );
    t.is(await metric('password_hash_jobs{state="running"}'), 1);

    const refused = [
      await login(user.email, user.password),
      await login(uniqueEmail('ghost'), 'whatever it is'),
      await suite.api.request('POST', '/api/v1/auth/register', {
        json: { email: uniqueEmail(), password: user.password, name: 'Late' },
      }),
      await suite.api.request('PUT', '/api/v1/users/me/password', {
        token: user.accessToken,
        json: { currentPassword: user.password, newPassword: 'another long passphrase' },
      }),
      await suite.api.request('DELETE', '/api/v1/users/me', {
        token: user.accessToken,
        json: { password: user.password },
      }),
    ];
    for (const [index, response] of refused.entries()) {
      t.is(response.status, 503, `request ${index}`);
      t.is(response.headers.get('retry-after'), '2', `request ${index}`);
      t.deepEqual(
        response.body,
        {
          status: 'error',
          code: 'service.overloaded',
          message: response.body.message,
          requestId: response.headers.get('x-request-id'),
        },
        `request ${index}`,
      );
      t.regex(response.body.message, /try again in 2 s/);
    }
    t.is(started, 1, 'no refused request reached the hasher');
    t.is(await metric('password_hash_refusals_total'), refusalsBefore + refused.length);

    // A login refused in a storm must not wait for the database pool first.
    const selects = () => metric('db_query_duration_seconds_count{operation="select"}');
    const selectsBefore = await selects();
    t.is((await login(user.email, user.password)).status, 503);
    t.is(await selects(), selectsBefore, 'refused before looking the account up');

    release();
    held = undefined;
    t.is((await first).status, 200);
    t.is((await second).status, 200);
    t.is(await metric('password_hash_jobs{state="waiting"}'), 0);
    t.is((await login(user.email, user.password)).status, 200, 'served again once the queue drains');
  },
);
