import { randomUUID } from 'node:crypto';
import test from 'ava';
import { STRONG_PASSWORD, signUpAndIn } from '../support/accounts.js';
import type { TestApi } from '../support/api-server.js';
import { instancesOnCuttableRedis } from '../support/cuttable-redis.js';
import { eventually } from '../support/eventually.js';

const PLENTY = { points: 1_000_000, durationSeconds: 60 };
/** Three wrong passwords are free, the fourth blocks its client for two minutes: the test's whole life. */
const FREE_FAILURES = 3;
const LONG_BLOCK = {
  freeFailures: FREE_FAILURES,
  firstBlockSeconds: 120,
  maxBlockSeconds: 600,
  memorySeconds: 600,
};

/** Both instances are told that two replicas may run. */
const suite = instancesOnCuttableRedis(
  `skeleton-fault-${randomUUID()}:`,
  { RATE_LIMIT_REPLICAS: '2' },
  { rateLimitPolicy: { perIp: PLENTY, registerPerIp: PLENTY, loginBackoff: LONG_BLOCK } },
);

/** Decisions an instance has made in process since it started, over every limiter. */
async function fallbackDecisions(api: TestApi): Promise<number> {
  const metric = await api.runtime.metrics.registry
    .getSingleMetric('rate_limit_fallback_decisions_total')
    ?.get();
  return (metric?.values ?? []).reduce((sum, { value }) => sum + value, 0);
}

/** Logins from `address`, to the instances in turn, one per password. */
async function loginsInTurn(email: string, address: string, passwords: string[]): Promise<number[]> {
  const statuses: number[] = [];
  for (const [turn, password] of passwords.entries()) {
    const answer = await suite.instances[turn % 2]?.request('POST', '/api/v1/auth/login', {
      json: { email, password },
      headers: { 'x-forwarded-for': address },
    });
    statuses.push(answer?.status ?? 0);
  }
  return statuses;
}

const guesses = (count: number) => Array.from({ length: count }, (_, i) => `guess ${i}`);

test('a Redis outage lifts no login block, and the instances counting apart allow what one shared count would', async (t) => {
  // The clients connect in the background: a request decided in Redis by both is the sign they are up.
  await eventually(async () => {
    const before = await Promise.all(suite.instances.map(fallbackDecisions));
    await Promise.all(suite.instances.map((api) => api.request('GET', '/openapi.json')));
    const after = await Promise.all(suite.instances.map(fallbackDecisions));
    return after.every((count, i) => count === before[i]) ? true : undefined;
  }, 'both instances count in Redis');
  const user = await signUpAndIn(suite.instances[0]);

  const beforeCut = await loginsInTurn(user.email, '203.0.113.66', guesses(FREE_FAILURES + 3));
  t.deepEqual(beforeCut, [401, 401, 401, 401, 429, 429], 'blocked on both instances through Redis');

  suite.proxy.cut();
  const duringOutage = await loginsInTurn(user.email, '203.0.113.66', guesses(8));
  t.deepEqual(duringOutage, Array(8).fill(429), 'the block outlives the outage of the store holding it');

  const stranger = await loginsInTurn(user.email, '203.0.113.77', guesses(8));
  const answered = stranger.filter((status) => status === 401).length;
  t.log(`a new client during the outage: ${stranger.join(' ')}`);
  t.true(answered <= FREE_FAILURES + 1, `${answered} guesses answered; with Redis: ${FREE_FAILURES + 1}`);
  t.deepEqual(stranger.slice(-2), [429, 429]);

  const owner = await loginsInTurn(user.email, '198.51.100.7', [STRONG_PASSWORD]);
  t.deepEqual(owner, [200], 'the owner still signs in');
  for (const api of suite.instances) t.true((await fallbackDecisions(api)) > 0, 'decided in process');
  suite.proxy.restore();
});
