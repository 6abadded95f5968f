import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import { Redis } from 'ioredis';
import { argon2idHasher } from '../../src/domain/passwords/password-hasher.js';
import { logIn, STRONG_PASSWORD, signUpAndIn } from '../support/accounts.js';
import { startApi, type TestApi } from '../support/api-server.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { freePort } from '../support/free-port.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
// A prefix of this run's own, so parallel runs on one Redis never share counters.
const REDIS_KEY_PREFIX = `skeleton-test-${randomUUID()}:`;
const PLENTY = { points: 1_000_000, durationSeconds: 60 };

let database: TestDatabase;
const started: TestApi[] = [];

test.before(async () => {
  database = await createTestDatabase();
});

test.after.always(async () => {
  await Promise.all(started.map((api) => api.close()));
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${REDIS_KEY_PREFIX}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await database?.drop();
});

async function instance(env: Record<string, string>, policy: object, validateResponses = false) {
  const api = await startApi(
    { DATABASE_URL: database.url, REDIS_KEY_PREFIX, ...env },
    { rateLimitPolicy: policy, validateResponses },
  );
  started.push(api);
  return api;
}

test.serial('two API instances share one per-address limit through Redis', async (t) => {
  const policy = { perIp: { points: 5, durationSeconds: 60 } };
  const a = await instance({ REDIS_URL }, policy);
  const b = await instance({ REDIS_URL }, policy);
  const statuses: number[] = [];
  for (const api of [a, b, a, b, a, b]) statuses.push((await api.request('GET', '/openapi.json')).status);
  t.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);

  const refused = await a.request('GET', '/openapi.json');
  t.is(refused.status, 429);
  t.like(refused.body, { status: 'fail', code: 'rate_limit.exceeded' });
  const retryAfter = Number(refused.headers.get('retry-after'));
  t.true(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
  t.is(refused.headers.get('ratelimit-limit'), '5');
  t.is(refused.headers.get('ratelimit-remaining'), '0');
  t.truthy(refused.headers.get('ratelimit-reset'));
});

test.serial(
  'login: failures on one account back off, growing, and the owner gets in after a wait',
  async (t) => {
    const api = await instance(
      { REDIS_URL },
      {
        perIp: PLENTY,
        registerPerIp: PLENTY,
        loginBackoff: { freeFailures: 2, firstBlockSeconds: 1, maxBlockSeconds: 60, memorySeconds: 60 },
      },
    );
    const user = await signUpAndIn(api);
    const login = (password: string) =>
      api.request('POST', '/api/v1/auth/login', { json: { email: user.email, password } });
    t.is((await login('wrong one')).status, 401);
    t.is((await login('wrong two')).status, 401);
    t.is((await login('wrong three')).status, 401, 'the failure that starts the back-off is still answered');
    const blocked = await login(STRONG_PASSWORD);
    t.is(blocked.status, 429, 'even the right password waits out the block');
    t.is(blocked.headers.get('retry-after'), '1');

    await new Promise((resolve) => setTimeout(resolve, 1_100));
    t.is((await login('wrong four')).status, 401);
    const longer = await login(STRONG_PASSWORD);
    t.is(longer.status, 429);
    t.is(longer.headers.get('retry-after'), '2', 'the next block is twice as long');

    await new Promise((resolve) => setTimeout(resolve, 2_100));
    const success = await login(STRONG_PASSWORD);
    t.is(success.status, 200);
    t.truthy(success.headers.get('ratelimit-remaining'));
  },
);

test.serial('with Redis unreachable the API still limits, in process, and keeps serving', async (t) => {
  const deadRedis = `redis://127.0.0.1:${await freePort()}`;
  const api = await instance({ REDIS_URL: deadRedis }, { perIp: { points: 3, durationSeconds: 60 } });
  const started = Date.now();
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) statuses.push((await api.request('GET', '/openapi.json')).status);
  t.deepEqual(statuses, [200, 200, 200, 429, 429]);
  t.true(Date.now() - started < 2_000, 'no request waits for the dead Redis');
  const metrics = await startApiMetrics(api);
  t.regex(metrics, /rate_limit_fallback_decisions_total\{limiter="ip"} [1-9]/);
});

test.serial('every limiter exports its fallback counter at 0 before Redis ever fails', async (t) => {
  const api = await instance({ REDIS_URL }, {});
  const metrics = await startApiMetrics(api);
  for (const limiter of ['ip', 'login_failures', 'login_block'])
    t.regex(metrics, new RegExp(`rate_limit_fallback_decisions_total\\{limiter="${limiter}"} 0`), limiter);
});

test.serial('sign-ups are limited per address; refreshes per session', async (t) => {
  const api = await instance(
    {},
    {
      perIp: PLENTY,
      registerPerIp: { points: 2, durationSeconds: 60 },
      refreshPerSession: { points: 2, durationSeconds: 60 },
    },
  );
  const register = (n: number) =>
    api.request('POST', '/api/v1/auth/register', {
      json: { email: `limit-${n}-${randomUUID()}@example.test`, password: STRONG_PASSWORD, name: 'L' },
    });
  t.deepEqual(
    [(await register(1)).status, (await register(2)).status, (await register(3)).status],
    [201, 201, 429],
  );

  const user = await signUpAndInDespiteRegisterLimit(api);
  const refresh = (refreshToken: string) =>
    api.request('POST', '/api/v1/auth/refresh', { json: { refreshToken } });
  const first = await refresh(user.refreshToken);
  const second = await refresh(first.body.data.refreshToken);
  t.deepEqual([first.status, second.status], [200, 200]);
  const third = await refresh(second.body.data.refreshToken);
  t.is(third.status, 429);
  t.is(third.body.code, 'rate_limit.exceeded');
  // Another session of the same user has its own allowance.
  const other = await logIn(api, user.email);
  t.is((await refresh(other.refreshToken)).status, 200);
});

test.serial('probes and scrapes are never refused, whatever the address has used up', async (t) => {
  const api = await instance({}, { perIp: { points: 1, durationSeconds: 60 } });
  t.is((await api.request('GET', '/openapi.json')).status, 200);
  t.is((await api.request('GET', '/openapi.json')).status, 429);
  for (const path of ['/health/live', '/health/ready', '/metrics'])
    t.is((await api.request('GET', path)).status, 200, path);
});

/** The suite's address has used its sign-ups: this account is made straight in the database. */
async function signUpAndInDespiteRegisterLimit(api: TestApi) {
  const email = `direct-${randomUUID()}@example.test`;
  await api.runtime.database.knex('users').insert({
    email,
    display_name: 'Direct',
    password_hash: await argon2idHasher.hash(STRONG_PASSWORD),
  });
  return logIn(api, email);
}

/** The instance's own /metrics text (no METRICS_PORT in tests). */
async function startApiMetrics(api: TestApi): Promise<string> {
  return String((await api.request('GET', '/metrics')).body);
}

test.serial(
  'behind trusted proxies the limit is per forwarded client; otherwise X-Forwarded-For is ignored',
  async (t) => {
    const policy = { perIp: { points: 1, durationSeconds: 60 } };
    const get = (api: TestApi, forwardedFor: string) =>
      api.request('GET', '/openapi.json', { headers: { 'x-forwarded-for': forwardedFor } });
    const proxied = await instance({ TRUST_PROXY_HOPS: '1' }, policy);
    t.is((await get(proxied, '203.0.113.7')).status, 200);
    t.is((await get(proxied, '203.0.113.8')).status, 200);
    t.is((await get(proxied, '203.0.113.7')).status, 429);

    const direct = await instance({}, policy);
    t.is((await get(direct, '203.0.113.7')).status, 200);
    t.is((await get(direct, '203.0.113.8')).status, 429, 'a client cannot pick its own address');
  },
);

/**
 * An instance that takes each request's address from X-Forwarded-For, as behind an Ingress, and
 * fails a request whose answer the OpenAPI document does not describe.
 */
const behindProxy = (policy: object) =>
  instance({ TRUST_PROXY_HOPS: '1' }, { perIp: PLENTY, registerPerIp: PLENTY, ...policy }, true);

const loginAs = (api: TestApi, email: string, password: string, address: string, cookie?: string) =>
  api.request('POST', '/api/v1/auth/login', {
    json: { email, password },
    headers: { 'x-forwarded-for': address, ...(cookie ? { cookie } : {}) },
  });

/** The device cookie a login answer sets, as a Cookie header would send it back. */
function deviceCookieOf(answer: { headers: Headers }): string | undefined {
  const cookie = answer.headers.getSetCookie().find((line) => line.startsWith('__Host-skeleton-device='));
  return cookie?.split(';')[0];
}

test.serial('wrong passwords from one address never lock the owner out from another', async (t) => {
  const api = await behindProxy({
    loginBackoff: { freeFailures: 3, firstBlockSeconds: 30, maxBlockSeconds: 60, memorySeconds: 60 },
  });
  const user = await signUpAndIn(api);
  const attacker: number[] = [];
  for (let i = 0; i < 8; i += 1)
    attacker.push((await loginAs(api, user.email, `guess ${i}`, '203.0.113.66')).status);
  t.deepEqual(attacker, [401, 401, 401, 401, 429, 429, 429, 429], 'the guessing address backs off');
  const owner = await loginAs(api, user.email, STRONG_PASSWORD, '198.51.100.7');
  t.is(owner.status, 200, "the owner, elsewhere, is not held by a stranger's failures");
  t.is((await loginAs(api, user.email, STRONG_PASSWORD, '203.0.113.66')).status, 429);
});

test.serial(
  'strangers who use up the account cap cannot lock out a device the owner signed in from',
  async (t) => {
    const api = await behindProxy({ loginPerAccount: { points: 3, durationSeconds: 3600 } });
    const user = await signUpAndIn(api);
    const signedIn = await loginAs(api, user.email, STRONG_PASSWORD, '198.51.100.7');
    const device = deviceCookieOf(signedIn);
    t.truthy(device, 'a successful login sets a device cookie');
    t.regex(
      signedIn.headers.getSetCookie().find((line) => line.startsWith('__Host-skeleton-device=')) ?? '',
      /; Path=\/; Max-Age=\d+; HttpOnly; Secure; SameSite=Strict$/,
    );

    const strangers: number[] = [];
    for (const address of ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4'])
      strangers.push((await loginAs(api, user.email, 'a guess', address)).status);
    t.deepEqual(strangers, [401, 401, 401, 429], 'the cap on strangers holds whatever the address');
    t.is((await loginAs(api, user.email, STRONG_PASSWORD, '192.0.2.1')).status, 429, 'for the owner too');

    const fromDevice = await loginAs(api, user.email, STRONG_PASSWORD, '192.0.2.2', device);
    t.is(fromDevice.status, 200, 'the device the owner signed in from is not held by the cap');
    const forged = `${device?.slice(0, -4)}AAAA`;
    t.is(
      (await loginAs(api, user.email, STRONG_PASSWORD, '192.0.2.3', forged)).status,
      429,
      'a forged cookie',
    );
    const other = await signUpAndIn(api);
    const otherDevice = deviceCookieOf(await loginAs(api, other.email, STRONG_PASSWORD, '192.0.2.4'));
    t.is(
      (await loginAs(api, user.email, STRONG_PASSWORD, '192.0.2.5', otherDevice)).status,
      429,
      "another account's device cookie",
    );
  },
);

test.serial('logins from one address are limited whatever accounts they name', async (t) => {
  const api = await behindProxy({});
  const statuses: number[] = [];
  let last: Awaited<ReturnType<typeof loginAs>> | undefined;
  for (let i = 0; i < 21; i += 1) {
    last = await loginAs(api, `flood-${i}-${randomUUID()}@example.test`, 'a guess', '203.0.113.99');
    statuses.push(last.status);
  }
  t.deepEqual(statuses, [...Array<number>(20).fill(401), 429]);
  const retryAfter = Number(last?.headers.get('retry-after'));
  t.true(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
  t.is((await loginAs(api, 'someone@example.test', 'a guess', '203.0.113.100')).status, 401);
  const refusals = await api.runtime.metrics.registry.getSingleMetricAsString('rate_limit_refusals_total');
  t.regex(refusals, /rate_limit_refusals_total\{scope="login_ip"\} 1\n/, 'counted by the limit that refused');
  t.regex(refusals, /rate_limit_refusals_total\{scope="login_account"\} 0\n/);
});

test.serial(
  'wrong current passwords back off like logins, for password change and deletion alike',
  async (t) => {
    const api = await behindProxy({
      loginBackoff: { freeFailures: 3, firstBlockSeconds: 2, maxBlockSeconds: 60, memorySeconds: 60 },
    });
    const user = await signUpAndIn(api);
    const change = (currentPassword: string) =>
      api.request('PUT', '/api/v1/users/me/password', {
        token: user.accessToken,
        json: { currentPassword, newPassword: 'another fine passphrase' },
      });
    const remove = (password: string) =>
      api.request('DELETE', '/api/v1/users/me', { token: user.accessToken, json: { password } });

    const wrong = [await change('guess 1'), await remove('guess 2'), await change('guess 3')];
    t.deepEqual(
      wrong.map((answer) => answer.status),
      [400, 400, 400],
    );
    t.is(wrong[0]?.headers.get('ratelimit-limit'), '10', 'the window of this client on the account');
    t.is((await change('guess 4')).status, 400, 'the failure that starts the back-off is answered');
    const held = await change(STRONG_PASSWORD);
    t.is(held.status, 429, 'even the right password waits out the block');
    t.is(held.headers.get('retry-after'), '2');
    t.is((await loginAs(api, user.email, STRONG_PASSWORD, '127.0.0.1')).status, 429, 'logins share it');
    await sleep(2_100);
    t.is((await change(STRONG_PASSWORD)).status, 200);
  },
);

test.serial('five wrong passwords end the session that gave them, and only it', async (t) => {
  const api = await behindProxy({
    loginBackoff: { freeFailures: 100, firstBlockSeconds: 1, maxBlockSeconds: 1, memorySeconds: 60 },
  });
  const user = await signUpAndIn(api);
  const otherSession = await logIn(api, user.email);
  const change = (currentPassword: string) =>
    api.request('PUT', '/api/v1/users/me/password', {
      token: user.accessToken,
      json: { currentPassword, newPassword: 'another fine passphrase' },
    });
  const statuses: number[] = [];
  for (let i = 1; i <= 4; i += 1) statuses.push((await change(`guess ${i}`)).status);
  t.deepEqual(statuses, [400, 400, 400, 400]);
  const fifth = await api.request('DELETE', '/api/v1/users/me', {
    token: user.accessToken,
    json: { password: 'guess 5' },
  });
  t.is(fifth.status, 401);
  t.like(fifth.body, { code: 'auth.too_many_wrong_passwords', data: { password: 'is incorrect' } });
  t.is(fifth.headers.get('www-authenticate'), 'Bearer');

  const me = await api.request('GET', '/api/v1/users/me', { token: user.accessToken });
  t.like(me, { status: 401, body: { code: 'auth.invalid_token' } });
  const refresh = await api.request('POST', '/api/v1/auth/refresh', {
    json: { refreshToken: user.refreshToken },
  });
  t.is(refresh.status, 401, 'the session is over, not just its access token');
  t.is((await api.request('GET', '/api/v1/users/me', { token: otherSession.accessToken })).status, 200);
  t.is((await logIn(api, user.email)).email, user.email, 'the password is unchanged');
});
