import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import Router from '@koa/router';
import test, { type ExecutionContext } from 'ava';
import { Redis } from 'ioredis';
import Koa from 'koa';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { invalidCredentials } from '../../src/errors.js';
import { success } from '../../src/http/jsend.js';
import { errorMapper } from '../../src/http/middleware/error-mapper.js';
import { requestId } from '../../src/http/middleware/request-id.js';
import { createLogger } from '../../src/logger.js';
import { createRateLimits, type RateLimits } from '../../src/rate-limits/create-rate-limits.js';
import { accountKey, addressBucket, clientAndAccountKey } from '../../src/rate-limits/keys.js';
import { Limit, type RateLimitScope } from '../../src/rate-limits/limit.js';
import { loginThrottle } from '../../src/rate-limits/login.js';
import {
  backoffSeconds,
  DEFAULT_RATE_LIMIT_POLICY,
  fallbackWeight,
  type RateLimitPolicy,
  sessionMustEnd,
} from '../../src/rate-limits/policy.js';
import { assertFailsFast } from '../../src/rate-limits/redis-client.js';
import type { Counter } from '../../src/rate-limits/store.js';

const KNOWN_EMAIL = 'known@example.test';
const PASSWORD = 'the right password';

/** Policy sections that stay out of the way of the one a test is about. */
const roomy: RateLimitPolicy = {
  perIp: { points: 1000, durationSeconds: 60 },
  registerPerIp: { points: 1000, durationSeconds: 60 },
  loginPerIp: { points: 1000, durationSeconds: 60 },
  loginPerClientAndAccount: { points: 1000, durationSeconds: 60 },
  loginPerAccount: { points: 1000, durationSeconds: 60 },
  loginBackoff: { freeFailures: 1000, firstBlockSeconds: 1, maxBlockSeconds: 60, memorySeconds: 60 },
  wrongPasswordsPerSession: { points: 1000, durationSeconds: 60 },
  refreshPerSession: { points: 1000, durationSeconds: 60 },
};

interface Answer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response bodies.
  body: any;
}

interface Harness {
  limits: RateLimits;
  limited: RateLimitScope[];
  post(path: string, options?: { ip?: string; query?: Record<string, string> }): Promise<Answer>;
  login(email: string, password: string, ip?: string, device?: string): Promise<Answer>;
}

/**
 * A tiny app behind the real request id and error mapper, with the limits mounted as the API would
 * mount them; the login route checks passwords against one known account, and takes a `device`
 * as one the HTTP layer recognised from a valid device cookie. X-Forwarded-For is trusted so a
 * test can speak from several addresses.
 */
async function harness(t: ExecutionContext, policy: Partial<RateLimitPolicy>): Promise<Harness> {
  const limited: RateLimitScope[] = [];
  const limits = createRateLimits({
    keyPrefix: 'unit:',
    policy: { ...roomy, ...policy },
    onLimited: (scope) => limited.push(scope),
  });
  const router = new Router();
  router.post('/ping', (ctx) => {
    ctx.body = success(null);
  });
  router.post('/register', limits.register, (ctx) => {
    ctx.status = 201;
    ctx.body = success(null);
  });
  router.post('/login', async (ctx) => {
    const email = String(ctx.query.email);
    const device = ctx.query.device === undefined ? {} : { deviceId: String(ctx.query.device) };
    const attempt = await limits.login.begin({ ip: ctx.ip, ...device }, email);
    ctx.set(attempt.headers);
    if (email.trim().toLowerCase() !== KNOWN_EMAIL || ctx.query.password !== PASSWORD) {
      await attempt.failed();
      throw invalidCredentials();
    }
    await attempt.succeeded();
    ctx.body = success(null);
  });
  router.post('/refresh', async (ctx) => {
    ctx.set(await limits.consumeRefresh(String(ctx.query.session)));
    ctx.body = success(null);
  });

  const app = new Koa({ proxy: true });
  app.use(requestId());
  app.use(errorMapper(createLogger({ level: 'silent', format: 'json' })));
  app.use(limits.perIp);
  app.use(router.routes());
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const post: Harness['post'] = async (path, { ip = '203.0.113.1', query = {} } = {}) => {
    const url = new URL(path, base);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    const response = await fetch(url, { method: 'POST', headers: { 'X-Forwarded-For': ip } });
    return { status: response.status, headers: response.headers, body: await response.json() };
  };
  return {
    limits,
    limited,
    post,
    login: (email, password, ip, device) =>
      post('/login', { ip, query: { email, password, ...(device === undefined ? {} : { device }) } }),
  };
}

const rateLimitOf = (answer: Answer) => ({
  limit: answer.headers.get('ratelimit-limit'),
  remaining: answer.headers.get('ratelimit-remaining'),
});

const retryAfter = (answer: Answer) => Number(answer.headers.get('retry-after'));

function assertRefused(t: ExecutionContext, answer: Answer, limit: number) {
  t.is(answer.status, 429);
  t.like(answer.body, {
    status: 'fail',
    code: 'rate_limit.exceeded',
    requestId: answer.headers.get('x-request-id'),
  });
  t.true(Number.isInteger(retryAfter(answer)) && retryAfter(answer) >= 1, 'Retry-After in whole seconds');
  t.deepEqual(rateLimitOf(answer), { limit: String(limit), remaining: '0' });
  t.is(answer.headers.get('ratelimit-reset'), answer.headers.get('retry-after'));
}

test('the back-off stays free for the tolerated failures, then doubles up to its cap', (t) => {
  const backoff = { freeFailures: 3, firstBlockSeconds: 1, maxBlockSeconds: 900, memorySeconds: 86_400 };
  const blocks = [1, 2, 3, 4, 5, 6, 7, 13, 14, 15, 1000].map((failures) => backoffSeconds(failures, backoff));
  t.deepEqual(blocks, [0, 0, 0, 1, 2, 4, 8, 512, 900, 900, 900]);
});

test('a back-off block is whole seconds, rounded up, for a store that keeps whole seconds', (t) => {
  const backoff = { freeFailures: 0, firstBlockSeconds: 0.4, maxBlockSeconds: 2.5, memorySeconds: 60 };
  const blocks = [0, 1, 2, 3, 4, 5].map((failures) => backoffSeconds(failures, backoff));
  t.deepEqual(blocks, [0, 1, 1, 2, 3, 3]);
});

test('the default policy, section by section', (t) => {
  const minutes = (count: number) => count * 60;
  const hours = (count: number) => count * 60 * 60;
  const days = (count: number) => count * 24 * 60 * 60;
  t.deepEqual(DEFAULT_RATE_LIMIT_POLICY, {
    perIp: { points: 300, durationSeconds: minutes(1) },
    registerPerIp: { points: 10, durationSeconds: hours(1) },
    loginPerIp: { points: 20, durationSeconds: minutes(1) },
    loginPerClientAndAccount: { points: 10, durationSeconds: minutes(15) },
    // ASVS 4.0.3 V2.2.1: at most 100 failed attempts per hour on one account.
    loginPerAccount: { points: 100, durationSeconds: hours(1) },
    loginBackoff: {
      freeFailures: 3,
      firstBlockSeconds: 1,
      maxBlockSeconds: minutes(15),
      memorySeconds: days(1),
    },
    wrongPasswordsPerSession: { points: 5, durationSeconds: days(7) },
    refreshPerSession: { points: 30, durationSeconds: minutes(1) },
  });
});

test('a session ends at its last allowed wrong password, not before', (t) => {
  const allowance = { points: 5, durationSeconds: 60 };
  t.deepEqual(
    [1, 4, 5, 6].map((wrong) => sessionMustEnd(wrong, allowance)),
    [false, false, true, true],
  );
});

test('counting alone, an instance weighs each action as all replicas would, up to a whole window', (t) => {
  t.is(fallbackWeight(1, 300), 1, 'a single instance counts as usual');
  t.is(fallbackWeight(4, 300), 4);
  t.is(fallbackWeight(10, 3), 3, 'so each instance still lets one action through');
  t.is(fallbackWeight(10, 0), 1, 'a window of nothing still counts each action once');
});

test('an IPv4 address is its own bucket, an IPv6 address is bucketed by its /64', (t) => {
  t.is(addressBucket('198.51.100.7'), '198.51.100.7');
  t.is(addressBucket('::ffff:198.51.100.7'), '198.51.100.7');
  t.is(addressBucket('2001:db8::1'), '2001:db8:0:0::/64');
  t.is(addressBucket('2001:DB8:0:0:ffff::2'), addressBucket('2001:db8::1'));
  t.not(addressBucket('2001:db8:0:1::1'), addressBucket('2001:db8::1'));
  t.is(addressBucket('fe80::1%eth0'), 'fe80:0:0:0::/64');
});

test('keys ignore the spelling of an email and are safe for Redis whatever it contains', (t) => {
  t.is(accountKey('  Known@Example.TEST '), accountKey(KNOWN_EMAIL));
  t.not(accountKey('other@example.test'), accountKey(KNOWN_EMAIL));
  t.regex(clientAndAccountKey({ ip: '2001:db8::1' }, '"odd key"\r\n*{}@example.test'), /^[A-Za-z0-9_-]{43}$/);
});

test('a client of an account is its device when it has one, else its address bucket', (t) => {
  const fromAddress = clientAndAccountKey({ ip: '2001:db8::1' }, KNOWN_EMAIL);
  t.is(
    clientAndAccountKey({ ip: '2001:db8::2' }, ' KNOWN@example.test'),
    fromAddress,
    'same /64, same email',
  );
  t.not(clientAndAccountKey({ ip: '2001:db8:0:1::1' }, KNOWN_EMAIL), fromAddress);
  t.not(clientAndAccountKey({ ip: '2001:db8::1' }, 'other@example.test'), fromAddress);
  const fromDevice = clientAndAccountKey({ ip: '2001:db8::1', deviceId: 'device-a' }, KNOWN_EMAIL);
  t.not(fromDevice, fromAddress);
  t.is(
    clientAndAccountKey({ ip: '198.51.100.9', deviceId: 'device-a' }, KNOWN_EMAIL),
    fromDevice,
    'wherever it is',
  );
  t.not(clientAndAccountKey({ ip: '2001:db8::1', deviceId: 'device-b' }, KNOWN_EMAIL), fromDevice);
});

test('the limit per address answers 429 with Retry-After and RateLimit headers once used up', async (t) => {
  const api = await harness(t, { perIp: { points: 3, durationSeconds: 60 } });
  const passed = [await api.post('/ping'), await api.post('/ping'), await api.post('/ping')];
  t.deepEqual(
    passed.map((answer) => answer.status),
    [200, 200, 200],
  );
  t.deepEqual(passed.map(rateLimitOf), [
    { limit: '3', remaining: '2' },
    { limit: '3', remaining: '1' },
    { limit: '3', remaining: '0' },
  ]);
  const reset = Number(passed[2]?.headers.get('ratelimit-reset'));
  t.true(reset >= 1 && reset <= 60);

  assertRefused(t, await api.post('/ping'), 3);
  t.true(retryAfter(await api.post('/ping')) <= 60);
  t.is((await api.post('/ping', { ip: '203.0.113.2' })).status, 200, 'another address has its own limit');
  t.deepEqual(api.limited, ['ip', 'ip']);
});

test('sign-ups are limited per address, and their answers carry the sign-up limit', async (t) => {
  const api = await harness(t, { registerPerIp: { points: 2, durationSeconds: 3600 } });
  const first = await api.post('/register');
  t.is(first.status, 201);
  t.deepEqual(rateLimitOf(first), { limit: '2', remaining: '1' });
  t.is((await api.post('/register')).status, 201);
  assertRefused(t, await api.post('/register'), 2);
  t.is((await api.post('/register', { ip: '203.0.113.2' })).status, 201);
  t.deepEqual(api.limited, ['register']);
});

test('logins are limited per address, whatever accounts they name', async (t) => {
  const api = await harness(t, { loginPerIp: { points: 3, durationSeconds: 60 } });
  const statuses = [];
  for (const email of ['a@example.test', KNOWN_EMAIL, 'b@example.test'])
    statuses.push((await api.login(email, 'wrong')).status);
  t.deepEqual(statuses, [401, 401, 401]);
  const refused = await api.login(KNOWN_EMAIL, PASSWORD);
  assertRefused(t, refused, 3);
  t.true(retryAfter(refused) <= 60);
  t.is((await api.login(KNOWN_EMAIL, PASSWORD, '203.0.113.2')).status, 200, 'another address has its own');
  t.is((await api.login(KNOWN_EMAIL, PASSWORD, '203.0.113.3', 'device-a')).status, 200);
  t.deepEqual(api.limited, ['login_ip']);
});

test('password attempts are limited per client of an account', async (t) => {
  const api = await harness(t, { loginPerClientAndAccount: { points: 3, durationSeconds: 900 } });
  const answers = [];
  for (let i = 0; i < 3; i += 1) answers.push(await api.login(KNOWN_EMAIL, 'wrong'));
  t.deepEqual(
    answers.map((answer) => answer.status),
    [401, 401, 401],
  );
  t.deepEqual(rateLimitOf(answers[0] as Answer), { limit: '3', remaining: '2' });

  const refused = await api.login(' KNOWN@example.test', PASSWORD);
  assertRefused(t, refused, 3);
  t.true(retryAfter(refused) > 800, 'the rest of the 15-minute window');
  t.is((await api.login(KNOWN_EMAIL, PASSWORD, '203.0.113.2')).status, 200, 'another address is not held');
  t.is((await api.login('other@example.test', 'wrong')).status, 401, 'nor another account');
  t.is((await api.login(KNOWN_EMAIL, PASSWORD, '203.0.113.1', 'device-a')).status, 200, 'nor a device');
  t.deepEqual(api.limited, ['login_client']);
});

// This pinned the old, exploitable behaviour ("a new address does not get around it"): one
// client's failures blocked the account for everyone. Now the block is per client.
test('consecutive failures from one client block that client for longer each time, and only it', async (t) => {
  const api = await harness(t, {
    loginPerClientAndAccount: { points: 10, durationSeconds: 900 },
    loginBackoff: { freeFailures: 1, firstBlockSeconds: 1, maxBlockSeconds: 60, memorySeconds: 60 },
  });
  t.is((await api.login(KNOWN_EMAIL, 'wrong')).status, 401);
  t.is((await api.login(KNOWN_EMAIL, 'wrong')).status, 401);
  const firstBlock = await api.login(KNOWN_EMAIL, PASSWORD);
  assertRefused(t, firstBlock, 10);
  t.is(retryAfter(firstBlock), 1);
  t.is((await api.login(KNOWN_EMAIL, PASSWORD, '203.0.113.9')).status, 200, 'the owner, elsewhere, gets in');

  await sleep(1_050);
  t.is((await api.login(KNOWN_EMAIL, 'wrong')).status, 401);
  const secondBlock = await api.login(KNOWN_EMAIL, PASSWORD);
  t.is(secondBlock.status, 429);
  t.is(retryAfter(secondBlock), 2);
  t.true(retryAfter(secondBlock) > retryAfter(firstBlock));
  t.deepEqual(api.limited, ['login_backoff', 'login_backoff']);
});

test('a device has a back-off of its own, wherever it connects from', async (t) => {
  const api = await harness(t, {
    loginBackoff: { freeFailures: 1, firstBlockSeconds: 30, maxBlockSeconds: 60, memorySeconds: 60 },
  });
  t.is((await api.login(KNOWN_EMAIL, 'wrong', '203.0.113.1', 'device-a')).status, 401);
  t.is((await api.login(KNOWN_EMAIL, 'wrong', '203.0.113.2', 'device-a')).status, 401);
  t.is(
    (await api.login(KNOWN_EMAIL, PASSWORD, '203.0.113.3', 'device-a')).status,
    429,
    'moving does not help',
  );
  t.is((await api.login(KNOWN_EMAIL, PASSWORD, '203.0.113.1')).status, 200, 'its address is another client');
  t.is((await api.login(KNOWN_EMAIL, PASSWORD, '203.0.113.1', 'device-b')).status, 200);
});

test('a successful login resets the back-off and the window of its client', async (t) => {
  const api = await harness(t, {
    loginPerClientAndAccount: { points: 10, durationSeconds: 900 },
    loginBackoff: { freeFailures: 1, firstBlockSeconds: 1, maxBlockSeconds: 60, memorySeconds: 60 },
  });
  await api.login(KNOWN_EMAIL, 'wrong');
  await api.login(KNOWN_EMAIL, 'wrong');
  t.is((await api.login(KNOWN_EMAIL, PASSWORD)).status, 429);
  await sleep(1_050);
  const success = await api.login(KNOWN_EMAIL, PASSWORD);
  t.is(success.status, 200);
  t.deepEqual(rateLimitOf(success), { limit: '10', remaining: '7' });

  const afterSuccess = await api.login(KNOWN_EMAIL, 'wrong');
  t.is(afterSuccess.status, 401, 'the first failure is free again');
  t.deepEqual(rateLimitOf(afterSuccess), { limit: '10', remaining: '9' });
  t.is((await api.login(KNOWN_EMAIL, 'wrong')).status, 401);
  t.is(retryAfter(await api.login(KNOWN_EMAIL, PASSWORD)), 1, 'the back-off starts over at its first step');
});

test('an unknown email is limited exactly like a known one', async (t) => {
  const api = await harness(t, {
    loginPerClientAndAccount: { points: 5, durationSeconds: 900 },
    loginBackoff: { freeFailures: 1, firstBlockSeconds: 30, maxBlockSeconds: 60, memorySeconds: 60 },
  });
  const trace = async (email: string, ip: string) => {
    const answers = [];
    for (const password of ['wrong', 'wrong', PASSWORD, 'wrong'])
      answers.push(await api.login(email, password, ip));
    return answers.map((answer) => ({
      status: answer.status,
      code: answer.body.code,
      retryAfter: answer.headers.get('retry-after'),
      ...rateLimitOf(answer),
    }));
  };
  const known = await trace(KNOWN_EMAIL, '203.0.113.10');
  const unknown = await trace('nobody@example.test', '203.0.113.11');
  t.deepEqual(unknown, known);
  t.deepEqual(
    known.map((step) => step.status),
    [401, 401, 429, 429],
    'even the right password waits out the block',
  );
});

test('failed logins per account are capped per hour for clients without a device; successes do not count', async (t) => {
  const api = await harness(t, { loginPerAccount: { points: 3, durationSeconds: 3600 } });
  for (let i = 0; i < 4; i += 1)
    t.is((await api.login(KNOWN_EMAIL, PASSWORD, `198.51.100.${i}`)).status, 200);
  for (let i = 0; i < 3; i += 1) t.is((await api.login(KNOWN_EMAIL, 'wrong', `198.51.100.${i}`)).status, 401);
  const refused = await api.login(KNOWN_EMAIL, PASSWORD, '198.51.100.99');
  assertRefused(t, refused, 3);
  t.true(retryAfter(refused) > 3500);
  t.is((await api.login('other@example.test', 'wrong', '198.51.100.99')).status, 401, 'per account');

  t.is(
    (await api.login(KNOWN_EMAIL, PASSWORD, '198.51.100.99', 'device-a')).status,
    200,
    'a device is spared',
  );
  t.is((await api.login(KNOWN_EMAIL, 'wrong', '198.51.100.99', 'device-a')).status, 401);
  t.is((await api.login(KNOWN_EMAIL, PASSWORD, '198.51.100.98')).status, 429, 'and its failures are its own');
  t.deepEqual(api.limited, ['login_account', 'login_account']);
});

test('an attempt counts once however often it is settled', async (t) => {
  const { limits } = await harness(t, {
    loginBackoff: { freeFailures: 1, firstBlockSeconds: 30, maxBlockSeconds: 60, memorySeconds: 60 },
  });
  const client = { ip: '203.0.113.1' };
  const first = await limits.login.begin(client, KNOWN_EMAIL);
  await first.failed();
  await first.failed();
  await t.notThrowsAsync(limits.login.begin(client, KNOWN_EMAIL), 'one failure, which is free');
  await first.succeeded();
  const second = await limits.login.begin(client, KNOWN_EMAIL);
  await second.failed();
  await t.throwsAsync(limits.login.begin(client, KNOWN_EMAIL), { code: 'rate_limit.exceeded' });
});

/** A counter that records what the login throttle asks of it, over a real in-process one. */
function recorded(points: number, calls: string[]): Counter {
  const inner = new RateLimiterMemory({ points, duration: 60 });
  return {
    points,
    consume: (key) => inner.consume(key),
    penalty: (key) => inner.penalty(key),
    reward: (key) => inner.reward(key),
    get: (key) => inner.get(key),
    block: (key, seconds) => {
      calls.push(`block ${seconds}`);
      return inner.block(key, seconds);
    },
    delete: (key) => inner.delete(key),
  };
}

function throttleOver(blocks: Counter, freeFailures = 2) {
  const window = () =>
    new Limit('login_client', new RateLimiterMemory({ points: 100, duration: 60 }), () => {});
  return loginThrottle({
    perIp: window(),
    perClient: window(),
    perAccount: window(),
    failures: new RateLimiterMemory({ points: freeFailures, duration: 60 }),
    blocks,
    backoff: { freeFailures, firstBlockSeconds: 30, maxBlockSeconds: 60, memorySeconds: 60 },
    onLimited: () => {},
  });
}

test('free failures block nothing; the first one beyond them does', async (t) => {
  const calls: string[] = [];
  const throttle = throttleOver(recorded(0, calls));
  for (let i = 0; i < 3; i += 1) await (await throttle.begin({ ip: '203.0.113.1' }, KNOWN_EMAIL)).failed();
  t.deepEqual(calls, ['block 30']);
});

test('a block that has run out lets the next attempt through', async (t) => {
  const ranOut = new RateLimiterRes(0, 0, 1);
  const throttle = throttleOver({ ...recorded(0, []), get: async () => ranOut });
  await t.notThrowsAsync(throttle.begin({ ip: '203.0.113.1' }, KNOWN_EMAIL));
});

test('refreshes are limited per session', async (t) => {
  const api = await harness(t, { refreshPerSession: { points: 2, durationSeconds: 60 } });
  const refresh = (session: string) => api.post('/refresh', { query: { session } });
  const first = await refresh('session-a');
  t.is(first.status, 200);
  t.deepEqual(rateLimitOf(first), { limit: '2', remaining: '1' });
  t.is((await refresh('session-a')).status, 200);
  assertRefused(t, await refresh('session-a'), 2);
  t.is((await refresh('session-b')).status, 200);
  t.deepEqual(api.limited, ['refresh']);
});

test('a Redis client that would queue commands while disconnected is refused at start-up', (t) => {
  const queueing = new Redis({ lazyConnect: true });
  t.teardown(() => queueing.disconnect());
  t.throws(() => assertFailsFast(queueing), { message: /enableOfflineQueue: false/ });
  t.throws(() => createRateLimits({ redis: queueing, keyPrefix: 'unit:' }), { message: /commandTimeout/ });
});
