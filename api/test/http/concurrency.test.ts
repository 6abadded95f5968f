import test from 'ava';
import { STRONG_PASSWORD, signUpAndIn, uniqueEmail } from '../support/accounts.js';
import { apiOnFreshDatabase } from '../support/api-server.js';
import { testClock } from '../support/clock.js';

const time = testClock();
// A hundred registrations at once would rightly overflow the hashing queue (40 may wait by default);
// this suite is about races in the database, so the queue takes them all.
const suite = apiOnFreshDatabase(
  { DATABASE_POOL_MAX: '20', PASSWORD_HASH_QUEUE_MAX: '100' },
  { clock: time.clock },
);

test.serial('100 parallel registrations of one email: exactly one 201, the rest 409', async (t) => {
  const email = uniqueEmail('race');
  const responses = await Promise.all(
    Array.from({ length: 100 }, (_, i) =>
      suite.api.request('POST', '/api/v1/auth/register', {
        json: { email: i % 2 ? email : email.toUpperCase(), password: STRONG_PASSWORD, name: `Racer ${i}` },
      }),
    ),
  );
  const statuses = responses.map((response) => response.status);
  t.is(statuses.filter((status) => status === 201).length, 1);
  t.is(statuses.filter((status) => status === 409).length, 99);
  const rows = await suite.api.runtime.database
    .knex('users')
    .whereRaw('lower(email) = lower(?)', [email])
    .count();
  t.is(Number(rows[0]?.count), 1);
});

test.serial(
  '20 parallel refreshes of one token: one rotation, every answer that pair or a clean 401',
  async (t) => {
    const user = await signUpAndIn(suite.api);
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        suite.api.request('POST', '/api/v1/auth/refresh', { json: { refreshToken: user.refreshToken } }),
      ),
    );
    const pairs = responses
      .filter((response) => response.status === 200)
      .map((response) => response.body.data);
    const others = responses.filter((response) => response.status !== 200);
    t.true(pairs.length >= 1);
    for (const pair of pairs) t.deepEqual(pair, pairs[0]);
    for (const other of others) {
      t.is(other.status, 401);
      t.is(other.body.status, 'fail');
    }
    const { knex } = suite.api.runtime.database;
    const parent = await knex('refresh_tokens')
      .where('parent_id', null)
      .join('sessions', 'sessions.id', 'refresh_tokens.session_id')
      .where('sessions.user_id', user.userId)
      .first('refresh_tokens.id');
    const children = await knex('refresh_tokens').where('parent_id', parent.id);
    t.is(children.length, 1, 'never two children of one token');
    t.is((await suite.api.request('GET', '/api/v1/users/me', { token: pairs[0].accessToken })).status, 200);
  },
);

test.serial('a rotated token presented after the grace window ends the whole session', async (t) => {
  const user = await signUpAndIn(suite.api);
  const first = await suite.api.request('POST', '/api/v1/auth/refresh', {
    json: { refreshToken: user.refreshToken },
  });
  const successor = first.body.data;

  time.advance(11);
  const replay = await suite.api.request('POST', '/api/v1/auth/refresh', {
    json: { refreshToken: user.refreshToken },
  });
  t.is(replay.status, 401);
  t.is(replay.body.code, 'auth.refresh_token_reused');

  // The thief and the victim are indistinguishable: everything of that session is dead.
  const afterTheft = await suite.api.request('POST', '/api/v1/auth/refresh', {
    json: { refreshToken: successor.refreshToken },
  });
  t.is(afterTheft.status, 401);
  t.is((await suite.api.request('GET', '/api/v1/users/me', { token: successor.accessToken })).status, 401);
  const session = await suite.api.runtime.database.knex('sessions').where('user_id', user.userId).first();
  t.is(session.revoked_reason, 'reuse_detected');
});

test.serial('refresh tokens expire when idle, sessions at their absolute limit', async (t) => {
  const idle = await signUpAndIn(suite.api);
  time.advance(7 * 86_400 + 1);
  const expired = await suite.api.request('POST', '/api/v1/auth/refresh', {
    json: { refreshToken: idle.refreshToken },
  });
  t.is(expired.status, 401);
  t.is(expired.body.code, 'auth.invalid_refresh_token');

  const active = await signUpAndIn(suite.api);
  let refreshToken = active.refreshToken;
  for (let day = 0; day < 29; day++) {
    time.advance(86_400);
    const refreshed = await suite.api.request('POST', '/api/v1/auth/refresh', { json: { refreshToken } });
    t.is(refreshed.status, 200, `day ${day + 1}`);
    refreshToken = refreshed.body.data.refreshToken;
  }
  time.advance(86_400 + 1);
  const beyond = await suite.api.request('POST', '/api/v1/auth/refresh', { json: { refreshToken } });
  t.is(beyond.status, 401);
});

test.serial('admin listing pages newest first with a cursor, without gaps or repeats', async (t) => {
  const admin = await signUpAndIn(suite.api, uniqueEmail('admin'));
  await suite.api.runtime.database.knex('users').where('id', admin.userId).update({ role: 'admin' });
  for (let i = 0; i < 7; i++) await signUpAndIn(suite.api);

  const all = await suite.api.runtime.database
    .knex('users')
    .whereNull('deleted_at')
    .orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ]);
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `?limit=3&cursor=${cursor}` : '?limit=3';
    const page = await suite.api.request('GET', `/api/v1/users${query}`, { token: admin.accessToken });
    t.is(page.status, 200);
    t.true(page.body.data.users.length <= 3);
    seen.push(...page.body.data.users.map((user: { id: string }) => user.id));
    cursor = page.body.data.nextCursor;
  } while (cursor);
  t.deepEqual(
    seen,
    all.map((row) => row.id),
  );

  for (const query of ['?limit=0', '?limit=101', '?limit=abc', '?cursor=garbage', '?sort=email']) {
    const refused = await suite.api.request('GET', `/api/v1/users${query}`, { token: admin.accessToken });
    t.is(refused.status, 400, query);
    t.is(refused.body.code, 'validation.failed');
  }
});
