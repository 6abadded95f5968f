import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import test, { type ExecutionContext } from 'ava';
import { Redis } from 'ioredis';
import Koa from 'koa';
import { DomainError } from '../../src/errors.js';
import { success } from '../../src/http/jsend.js';
import { errorMapper } from '../../src/http/middleware/error-mapper.js';
import { requestId } from '../../src/http/middleware/request-id.js';
import { createLogger } from '../../src/logger.js';
import { createRateLimits, type RateLimits } from '../../src/rate-limits/create-rate-limits.js';
import type { RateLimitPolicy } from '../../src/rate-limits/policy.js';
import { createFailFastRedis } from '../../src/rate-limits/redis-client.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Every counter of this run lives under its own prefix, so parallel runs never share one. */
const KEY_PREFIX = `skeleton-test-${randomUUID()}:`;
/** Well under what a hung request would take, well over what a loaded CI machine needs. */
const NO_HANG_MS = 2_000;

const clients: Redis[] = [];
const closers: (() => Promise<void>)[] = [];

test.after.always(async () => {
  const cleaner = new Redis(REDIS_URL);
  const keys = await cleaner.keys(`${KEY_PREFIX}*`);
  if (keys.length > 0) await cleaner.del(...keys);
  cleaner.disconnect();
  for (const client of clients) client.disconnect();
  for (const close of closers) await close();
});

function rateLimitRedis(url: string, errors: Error[] = []): Redis {
  const client = createFailFastRedis(url, (error) => errors.push(error));
  clients.push(client);
  return client;
}

async function ready(client: Redis): Promise<void> {
  if (client.status !== 'ready') await once(client, 'ready');
}

const backoffOnly: Partial<RateLimitPolicy> = {
  loginBackoff: { freeFailures: 1, firstBlockSeconds: 30, maxBlockSeconds: 60, memorySeconds: 60 },
};

/** One "API instance": the global limit behind the real error mapper, answering 200 otherwise. */
async function serve(limits: RateLimits) {
  const app = new Koa();
  app.use(requestId());
  app.use(errorMapper(createLogger({ level: 'silent', format: 'json' })));
  app.use(limits.perIp);
  app.use((ctx) => {
    ctx.body = success(null);
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return async () => {
    const started = performance.now();
    const response = await fetch(url);
    await response.arrayBuffer();
    return {
      status: response.status,
      remaining: response.headers.get('ratelimit-remaining'),
      ms: performance.now() - started,
    };
  };
}

/** Runs `action` and answers how long it took and the error it threw, if any. */
async function timed(action: () => Promise<unknown>): Promise<{ ms: number; error?: unknown }> {
  const started = performance.now();
  try {
    await action();
    return { ms: performance.now() - started };
  } catch (error) {
    return { ms: performance.now() - started, error };
  }
}

const CLIENT = { ip: '198.51.100.1' };

/** Fails the login of `email` `failures` times, then answers what the next attempt runs into. */
async function failThenTry(limits: RateLimits, email: string, failures: number) {
  for (let i = 0; i < failures; i += 1) {
    const attempt = await limits.login.begin(CLIENT, email);
    await attempt.failed();
  }
  return timed(() => limits.login.begin(CLIENT, email));
}

function assertTooManyRequests(t: ExecutionContext, error: unknown, retryAfter: string) {
  t.true(error instanceof DomainError);
  t.like(error, { code: 'rate_limit.exceeded', status: 429, headers: { 'Retry-After': retryAfter } });
}

/** A TCP forwarder to Redis that can go silent: the connection stays open, nothing comes back. */
async function silenceableProxy(): Promise<{ url: string; silence(): void }> {
  const target = new URL(REDIS_URL);
  const sockets = new Set<Socket>();
  let silent = false;
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 6379), target.hostname);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(from);
      from.on('data', (chunk) => {
        if (!silent) to.write(chunk);
      });
      from.on('error', () => to.destroy());
      from.on('close', () => to.destroy());
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return {
    url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}`,
    silence: () => {
      silent = true;
    },
  };
}

/** A port nothing listens on: one the system just gave out and took back. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('two API instances share one limit through Redis', async (t) => {
  const redisA = rateLimitRedis(REDIS_URL);
  const redisB = rateLimitRedis(REDIS_URL);
  await Promise.all([ready(redisA), ready(redisB)]);
  const policy = { perIp: { points: 5, durationSeconds: 60 } };
  const requestA = await serve(createRateLimits({ redis: redisA, keyPrefix: KEY_PREFIX, policy }));
  const requestB = await serve(createRateLimits({ redis: redisB, keyPrefix: KEY_PREFIX, policy }));

  const answers = [];
  for (const request of [requestA, requestA, requestA, requestB, requestB, requestB]) {
    answers.push(await request());
  }
  t.deepEqual(
    answers.map(({ status, remaining }) => ({ status, remaining })),
    [
      { status: 200, remaining: '4' },
      { status: 200, remaining: '3' },
      { status: 200, remaining: '2' },
      { status: 200, remaining: '1' },
      { status: 200, remaining: '0' },
      { status: 429, remaining: '0' },
    ],
  );
  t.is((await requestA()).status, 429);
});

test("a client's login back-off started on one instance holds on the other", async (t) => {
  const redisA = rateLimitRedis(REDIS_URL);
  const redisB = rateLimitRedis(REDIS_URL);
  await Promise.all([ready(redisA), ready(redisB)]);
  const limitsA = createRateLimits({ redis: redisA, keyPrefix: KEY_PREFIX, policy: backoffOnly });
  const limitsB = createRateLimits({ redis: redisB, keyPrefix: KEY_PREFIX, policy: backoffOnly });
  const email = `shared-${randomUUID()}@example.test`;

  const device = { deviceId: 'device-a' };
  await (await limitsA.login.begin({ ip: '198.51.100.1', ...device }, email)).failed();
  await (await limitsB.login.begin({ ip: '198.51.100.2', ...device }, email)).failed();
  const onA = await timed(() => limitsA.login.begin({ ip: '198.51.100.3', ...device }, email));
  const onB = await timed(() => limitsB.login.begin({ ip: '198.51.100.4', ...device }, email));
  assertTooManyRequests(t, onA.error, '30');
  assertTooManyRequests(t, onB.error, '30');
  await t.notThrowsAsync(limitsB.login.begin({ ip: '198.51.100.4' }, email), 'another client of the account');
});

test('with Redis unreachable, the limits keep limiting in process and answer at once', async (t) => {
  const errors: Error[] = [];
  const redis = rateLimitRedis(`redis://127.0.0.1:${await closedPort()}`, errors);
  const fallbacks: string[] = [];
  const limits = createRateLimits({
    redis,
    keyPrefix: KEY_PREFIX,
    policy: { perIp: { points: 3, durationSeconds: 60 }, ...backoffOnly },
    onFallback: (limiter) => fallbacks.push(limiter),
  });
  const request = await serve(limits);

  const answers = [];
  for (let i = 0; i < 4; i += 1) answers.push(await request());
  t.deepEqual(
    answers.map((answer) => answer.status),
    [200, 200, 200, 429],
  );
  t.log('answered in', answers.map(({ ms }) => `${ms.toFixed(1)} ms`).join(', '));
  for (const { ms } of answers) t.true(ms < NO_HANG_MS, `answered in ${ms.toFixed(0)} ms`);

  const blocked = await failThenTry(limits, `offline-${randomUUID()}@example.test`, 2);
  assertTooManyRequests(t, blocked.error, '30');
  t.true(blocked.ms < NO_HANG_MS, `login check in ${blocked.ms.toFixed(0)} ms`);

  t.true(fallbacks.includes('ip') && fallbacks.includes('login_block'));
  if (errors.length === 0) await once(redis, 'error');
  t.regex(String(errors[0]?.message), /ECONNREFUSED/);
});

test('with Redis unreachable, each instance weighs a request as all replicas would', async (t) => {
  const redis = rateLimitRedis(`redis://127.0.0.1:${await closedPort()}`);
  const window = { points: 6, durationSeconds: 60 };
  const limits = (replicas: number) =>
    createRateLimits({ redis, keyPrefix: KEY_PREFIX, replicas, policy: { perIp: window } });
  const passed = async (request: () => Promise<{ status: number }>) => {
    let count = 0;
    while ((await request()).status === 200) count += 1;
    return count;
  };
  t.is(await passed(await serve(limits(1))), 6, 'one instance: the whole window');
  t.is(await passed(await serve(limits(3))), 2, 'one of three: a third of it');
  t.is(await passed(await serve(limits(10))), 1, 'one of ten: still one request');
});

test('a Redis that stops answering costs at most a command timeout, and limiting goes on', async (t) => {
  const proxy = await silenceableProxy();
  const redis = rateLimitRedis(proxy.url);
  await ready(redis);
  const fallbacks: string[] = [];
  const limits = createRateLimits({
    redis,
    keyPrefix: KEY_PREFIX,
    policy: { perIp: { points: 3, durationSeconds: 60 } },
    onFallback: (limiter) => fallbacks.push(limiter),
  });
  const request = await serve(limits);

  proxy.silence();
  const answers = [];
  for (let i = 0; i < 4; i += 1) answers.push(await request());
  t.deepEqual(
    answers.map((answer) => answer.status),
    [200, 200, 200, 429],
  );
  t.log('answered in', answers.map(({ ms }) => `${ms.toFixed(1)} ms`).join(', '));
  for (const { ms } of answers) t.true(ms < NO_HANG_MS, `answered in ${ms.toFixed(0)} ms`);
  // By now the socket timeout has dropped the silent connection: decisions are made in memory at once.
  const afterDrop = await request();
  t.log(`after the connection was dropped: ${afterDrop.ms.toFixed(1)} ms, client ${redis.status}`);
  t.is(afterDrop.status, 429);
  t.true(fallbacks.length >= 5);
});

test('what an instance saw counted in Redis still holds when Redis stops answering', async (t) => {
  const proxy = await silenceableProxy();
  const redis = rateLimitRedis(proxy.url);
  await ready(redis);
  const limits = createRateLimits({
    redis,
    // Counters of its own: the other tests of this file count the same address in Redis.
    keyPrefix: `${KEY_PREFIX}carried:`,
    policy: { perIp: { points: 3, durationSeconds: 60 }, ...backoffOnly },
  });
  const request = await serve(limits);
  const email = `carried-${randomUUID()}@example.test`;
  t.deepEqual([(await request()).status, (await request()).status], [200, 200]);
  assertTooManyRequests(t, (await failThenTry(limits, email, 2)).error, '30');

  proxy.silence();
  t.deepEqual(
    [(await request()).status, (await request()).status],
    [200, 429],
    'one request left, not three',
  );
  const { error } = await timed(() => limits.login.begin(CLIENT, email));
  t.like(error, { code: 'rate_limit.exceeded' });
  const retryAfter = Number((error as DomainError).headers?.['Retry-After']);
  t.true(
    retryAfter > 25 && retryAfter <= 30,
    `the block set in Redis, not a new one: Retry-After ${retryAfter}`,
  );
});
