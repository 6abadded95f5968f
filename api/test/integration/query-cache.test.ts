import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import test from 'ava';
import { Redis } from 'ioredis';
import { type CacheOutcome, redisQueryCache } from '../../src/cache/query-cache.js';
import { FAIL_FAST_REDIS_OPTIONS } from '../../src/rate-limits/redis-client.js';
import { REDIS_URL } from '../support/cuttable-redis.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

const prefix = `skeleton-query-cache-${randomUUID()}:`;
const redis = new Redis(REDIS_URL, FAIL_FAST_REDIS_OPTIONS);

test.before(() => once(redis, 'ready'));

test.after.always(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

function counted() {
  const outcomes: CacheOutcome[] = [];
  let loads = 0;
  return {
    outcomes,
    loads: () => loads,
    load: (value: unknown) => async () => {
      loads += 1;
      return value;
    },
    observe: (_namespace: string, outcome: CacheOutcome) => outcomes.push(outcome),
  };
}

test('a loaded answer is kept and shared; another key or namespace loads its own', async (t) => {
  const probe = counted();
  const cache = redisQueryCache(redis, prefix, probe.observe);
  const page = { users: [{ id: 'u1', createdAt: '2026-12-07T00:00:00.000Z' }], nextCursor: null };
  t.deepEqual(await cache.getOrSet('listing', '10:', 30, probe.load(page)), page);
  t.deepEqual(await cache.getOrSet('listing', '10:', 30, probe.load('not read')), page);
  t.deepEqual(
    await redisQueryCache(redis, prefix).getOrSet('listing', '10:', 30, probe.load('no')),
    page,
    'shared',
  );
  t.is(await cache.getOrSet('listing', '20:', 30, probe.load('other key')), 'other key');
  t.is(await cache.getOrSet('other', '10:', 30, probe.load('other namespace')), 'other namespace');
  t.is(probe.loads(), 3);
  t.deepEqual(probe.outcomes, ['miss', 'hit', 'miss', 'miss']);
});

test('after an invalidation every key of the namespace is loaded again', async (t) => {
  const probe = counted();
  const cache = redisQueryCache(redis, prefix, probe.observe);
  await cache.getOrSet('users', 'a', 30, probe.load('before'));
  await cache.getOrSet('unrelated', 'a', 30, probe.load('kept'));
  await cache.invalidate('users');
  t.is(await cache.getOrSet('users', 'a', 30, probe.load('after')), 'after');
  t.is(await cache.getOrSet('unrelated', 'a', 30, probe.load('reloaded')), 'kept');
});

test('a load that began before an invalidation is never served after it', async (t) => {
  const cache = redisQueryCache(redis, prefix);
  let finishLoad: (value: string) => void = () => {};
  const slow = cache.getOrSet(
    'race',
    'k',
    30,
    () => new Promise<string>((resolve) => (finishLoad = resolve)),
  );
  await new Promise((resolve) => setTimeout(resolve, 50));
  await cache.invalidate('race');
  finishLoad('read before the change');
  t.is(await slow, 'read before the change', 'its own caller gets it');
  t.is(await cache.getOrSet('race', 'k', 30, async () => 'read after the change'), 'read after the change');
});

test('answers expire after their TTL', async (t) => {
  const cache = redisQueryCache(redis, prefix);
  await cache.getOrSet('ttl', 'k', 1, async () => 'first');
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  t.is(await cache.getOrSet('ttl', 'k', 1, async () => 'second'), 'second');
});

test('with Redis unreachable every read is loaded, none fails, and the failures are observed', async (t) => {
  const { hostname, port } = new URL(REDIS_URL);
  const proxy = await startTcpProxy({ host: hostname, port: Number(port || 6379) });
  const cut = new Redis(proxy.route(REDIS_URL), FAIL_FAST_REDIS_OPTIONS);
  cut.on('error', () => {});
  t.teardown(async () => {
    cut.disconnect();
    await proxy.close();
  });
  await once(cut, 'ready');
  proxy.cut();
  const probe = counted();
  const cache = redisQueryCache(cut, prefix, probe.observe);
  t.is(await cache.getOrSet('down', 'k', 30, probe.load('from the database')), 'from the database');
  await t.notThrowsAsync(cache.invalidate('down'));
  t.is(probe.loads(), 1);
  t.true(probe.outcomes.every((outcome) => outcome === 'error'));
});
