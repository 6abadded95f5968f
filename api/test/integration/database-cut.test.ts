import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import knexFactory, { type Knex } from 'knex';
import { STRONG_PASSWORD, signUpAndIn, uniqueEmail } from '../support/accounts.js';
import { type ApiResponse, startApi, type TestApi } from '../support/api-server.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startTcpProxy, type TcpProxy, targetOf } from '../support/tcp-proxy.js';

let database: TestDatabase;
let proxy: TcpProxy;
let api: TestApi;
/** Straight to the server, past the proxy: what was really stored. */
let direct: Knex;

test.before(async () => {
  database = await createTestDatabase();
  proxy = await startTcpProxy(targetOf(database.url));
  api = await startApi({ DATABASE_URL: proxy.route(database.url) });
  direct = knexFactory({ client: 'pg', connection: database.url });
});

test.after.always(async () => {
  await api?.close();
  await proxy?.close();
  await direct?.destroy();
  await database?.drop();
});

interface Outcome {
  kind: 'register' | 'read' | 'ready';
  startedAt: number;
  endedAt: number;
  status: number;
  code?: string;
  message?: string;
  email?: string;
}

const durationOf = (outcome: Outcome) => outcome.endedAt - outcome.startedAt;
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

async function until<T>(found: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = found();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await sleep(20);
  }
}

test('the database cut and restored: fast 503s, readiness fails, service resumes, no 2xx write lost', async (t) => {
  const reader = await signUpAndIn(api);
  const outcomes: Outcome[] = [];
  let running = true;

  const timed = async (kind: Outcome['kind'], send: () => Promise<ApiResponse>, email?: string) => {
    const startedAt = performance.now();
    const response = await send();
    const { code, message } = response.body ?? {};
    outcomes.push({
      kind,
      startedAt,
      endedAt: performance.now(),
      status: response.status,
      code,
      message,
      email,
    });
  };
  const writer = async () => {
    while (running) {
      const email = uniqueEmail('cut');
      await timed(
        'register',
        () =>
          api.request('POST', '/api/v1/auth/register', {
            json: { email, password: STRONG_PASSWORD, name: 'Cut' },
          }),
        email,
      );
    }
  };
  const readerLoop = async () => {
    while (running) {
      await timed('read', () => api.request('GET', '/api/v1/users/me', { token: reader.accessToken }));
    }
  };
  const readinessProbe = async () => {
    while (running) {
      await timed('ready', () => api.request('GET', '/health/ready'));
      await sleep(100);
    }
  };
  const clients = [writer(), writer(), writer(), writer(), readerLoop(), readerLoop(), readinessProbe()];

  await sleep(1_000);
  const cutAt = performance.now();
  proxy.cut();
  // Longer than the breaker's 3 s open time: a half-open probe fails and the breaker opens again.
  await sleep(4_000);
  const restoredAt = performance.now();
  proxy.restore();
  const recoveredAt = await until(
    () =>
      outcomes.find((o) => o.kind === 'register' && o.status === 201 && o.startedAt > restoredAt)?.endedAt,
    15_000,
  );
  await sleep(1_000);
  running = false;
  await Promise.all(clients);

  // Every answer is a success or the database's 503: no 500, and no 409 from a write run twice.
  for (const outcome of outcomes) {
    if (outcome.kind === 'ready') {
      t.true([200, 503].includes(outcome.status), JSON.stringify(outcome));
    } else if (outcome.status === 503) {
      t.is(outcome.code, 'db.unavailable', JSON.stringify(outcome));
    } else {
      t.is(outcome.status, outcome.kind === 'register' ? 201 : 200, JSON.stringify(outcome));
    }
  }
  const before = outcomes.filter((o) => o.endedAt < cutAt);
  t.true(before.length > 10, `a steady stream before the cut (${before.length})`);
  t.true(before.every((o) => o.status < 300));

  const whileCut = outcomes.filter((o) => o.startedAt >= cutAt && o.endedAt <= restoredAt);
  const requests = whileCut.filter((o) => o.kind !== 'ready');
  t.true(requests.length > 20, `a steady stream while cut (${requests.length})`);
  t.true(
    requests.every((o) => o.status === 503 && o.code === 'db.unavailable'),
    'every request while cut is a 503 db.unavailable',
  );
  const durations = requests.map(durationOf);
  const underOneSecond = durations.filter((ms) => ms < 1_000).length / durations.length;
  t.true(underOneSecond >= 0.9, `${Math.round(underOneSecond * 100)}% answered within 1 s`);
  t.true(Math.max(...durations) < 5_000, 'none waits for the 5 s acquire timeout');

  const readiness = whileCut.filter((o) => o.kind === 'ready');
  t.true(readiness.length > 0);
  t.true(readiness.every((o) => o.status === 503 && o.code === 'service.not_ready'));
  t.true(readiness.some((o) => /breaker: open/.test(o.message ?? '')));

  const recoveryMs = recoveredAt - restoredAt;
  t.true(recoveryMs < 10_000, `recovered ${Math.round(recoveryMs)} ms after the restore`);
  const afterRecovery = outcomes.filter((o) => o.startedAt > recoveredAt && o.kind !== 'ready');
  t.true(afterRecovery.length > 0);
  t.true(
    afterRecovery.every((o) => o.status < 300),
    'everything succeeds once recovered',
  );
  const ready = await api.request('GET', '/health/ready');
  t.is(ready.status, 200);
  t.is(ready.body.data.checks.breaker, 'closed');

  const acknowledged = outcomes.filter((o) => o.status === 201).map((o) => o.email as string);
  const stored = await direct('users').whereIn('email', acknowledged).pluck('email');
  t.deepEqual(stored.sort(), acknowledged.sort(), 'every registration answered 201 is stored');

  for (const kind of ['register', 'read'] as const) {
    const ms = requests.filter((o) => o.kind === kind).map(durationOf);
    t.log(
      `${kind} while cut: ${ms.length} answered 503 in p50 ${percentile(ms, 50).toFixed(1)} ms, ` +
        `p90 ${percentile(ms, 90).toFixed(1)} ms, max ${Math.max(...ms).toFixed(1)} ms`,
    );
  }
  t.log(
    `readiness 503 ×${readiness.length} while cut; recovered ${Math.round(recoveryMs)} ms after the restore; ` +
      `${acknowledged.length} registrations answered 201, all stored`,
  );
});
