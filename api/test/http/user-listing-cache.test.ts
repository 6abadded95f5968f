import { randomUUID } from 'node:crypto';
import test from 'ava';
import { Redis } from 'ioredis';
import { signUpAndIn } from '../support/accounts.js';
import { apiOnFreshDatabase } from '../support/api-server.js';
import { REDIS_URL } from '../support/cuttable-redis.js';

/** The admin listing read through the Redis query cache, as in production with REDIS_URL. */
const KEY_PREFIX = `skeleton-listing-${randomUUID()}:`;
const suite = apiOnFreshDatabase({ REDIS_URL, REDIS_KEY_PREFIX: KEY_PREFIX });

test.after.always(async () => {
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${KEY_PREFIX}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

async function cacheReads(outcome: 'hit' | 'miss' | 'error'): Promise<number> {
  const text = await suite.api.runtime.metrics.registry.metrics();
  const found = new RegExp(
    `query_cache_reads_total\\{namespace="user-listing",outcome="${outcome}"} (\\d+)`,
  ).exec(text);
  return Number(found?.[1] ?? 0);
}

test.serial(
  'a listing page is answered from the cache until an account changes, then read again',
  async (t) => {
    const admin = await signUpAndIn(suite.api);
    await suite.api.runtime.database.knex('users').where('id', admin.userId).update({ role: 'admin' });
    const list = async () => {
      const answer = await suite.api.request('GET', '/api/v1/users?limit=50', { token: admin.accessToken });
      t.is(answer.status, 200);
      return answer.body.data.users as { id: string; email: string; name: string }[];
    };

    const first = await list();
    const hitsBefore = await cacheReads('hit');
    t.deepEqual(await list(), first, 'the same page');
    t.is(await cacheReads('hit'), hitsBefore + 1, 'answered from the cache');

    const newcomer = await signUpAndIn(suite.api);
    t.true(
      (await list()).some((user) => user.id === newcomer.userId),
      'a registration shows at once',
    );

    const renamed = await suite.api.request('PATCH', '/api/v1/users/me', {
      token: newcomer.accessToken,
      json: { name: 'Renamed Newcomer' },
    });
    t.is(renamed.status, 200);
    t.is(
      (await list()).find((user) => user.id === newcomer.userId)?.name,
      'Renamed Newcomer',
      'so does a rename',
    );

    const deleted = await suite.api.request('DELETE', '/api/v1/users/me', {
      token: newcomer.accessToken,
      json: { password: newcomer.password },
    });
    t.is(deleted.status, 200);
    t.false(
      (await list()).some((user) => user.id === newcomer.userId),
      'and a deletion',
    );
  },
);

test.serial('the next page comes from its own cursor, cached apart from the first', async (t) => {
  const admin = await signUpAndIn(suite.api);
  await suite.api.runtime.database.knex('users').where('id', admin.userId).update({ role: 'admin' });
  const page = (query: string) =>
    suite.api.request('GET', `/api/v1/users?${query}`, { token: admin.accessToken });
  const first = await page('limit=1');
  const cursor = first.body.data.nextCursor as string;
  t.truthy(cursor);
  const second = await page(`limit=1&cursor=${encodeURIComponent(cursor)}`);
  const again = await page(`limit=1&cursor=${encodeURIComponent(cursor)}`);
  t.deepEqual(again.body.data, second.body.data);
  t.notDeepEqual(second.body.data.users, first.body.data.users);
});

test.serial('a demoted admin is refused at once, though the page they read is still cached', async (t) => {
  const admin = await signUpAndIn(suite.api);
  const knex = suite.api.runtime.database.knex;
  await knex('users').where('id', admin.userId).update({ role: 'admin' });
  t.is((await suite.api.request('GET', '/api/v1/users', { token: admin.accessToken })).status, 200);
  await knex('users').where('id', admin.userId).update({ role: 'user' });
  t.is((await suite.api.request('GET', '/api/v1/users', { token: admin.accessToken })).status, 403);
});

test.serial('an ended session changes no account, so the cached page stays', async (t) => {
  const admin = await signUpAndIn(suite.api);
  await suite.api.runtime.database.knex('users').where('id', admin.userId).update({ role: 'admin' });
  const someone = await signUpAndIn(suite.api);
  const list = () => suite.api.request('GET', '/api/v1/users?limit=5', { token: admin.accessToken });
  t.is((await list()).status, 200);
  const loggedOut = await suite.api.request('POST', '/api/v1/auth/logout', {
    json: { refreshToken: someone.refreshToken },
  });
  t.is(loggedOut.status, 200);
  const hitsBefore = await cacheReads('hit');
  t.is((await list()).status, 200);
  t.is(await cacheReads('hit'), hitsBefore + 1, 'answered from the cache after the logout');
});
