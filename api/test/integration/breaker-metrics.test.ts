import test from 'ava';
import { CIRCUIT_BREAKER_STATES } from '../../src/observability/metric-catalog.js';
import { startApi, type TestApi } from '../support/api-server.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { eventually } from '../support/eventually.js';
import { startTcpProxy, type TcpProxy, targetOf } from '../support/tcp-proxy.js';

let database: TestDatabase;
let proxy: TcpProxy;
let api: TestApi;

test.before(async () => {
  database = await createTestDatabase();
  proxy = await startTcpProxy(targetOf(database.url));
  // One failure opens the breaker, and a probe may follow soon after, so the test need not wait long.
  api = await startApi(
    { DATABASE_URL: proxy.route(database.url) },
    { databaseResilience: { breakerThreshold: 1, halfOpenAfterMs: 200 } },
  );
});

test.after.always(async () => {
  await api?.close();
  await proxy?.close();
  await database?.drop();
});

/** db_circuit_breaker_state by state, from /metrics. */
async function breaker(): Promise<Record<string, number>> {
  const text = String((await api.request('GET', '/metrics')).body);
  return Object.fromEntries(
    CIRCUIT_BREAKER_STATES.map((state) => [
      state,
      Number(new RegExp(`^db_circuit_breaker_state\\{state="${state}"} (\\S+)$`, 'm').exec(text)?.[1]),
    ]),
  );
}

const login = () =>
  api.request('POST', '/api/v1/auth/login', {
    json: { email: 'nobody@example.test', password: 'whatever password' },
  });

test('the breaker state is exported: closed, open while the database is gone, closed once it is back', async (t) => {
  t.deepEqual(await breaker(), { closed: 1, open: 0, 'half-open': 0 });

  proxy.cut();
  try {
    const refused = await login();
    t.is(refused.body.code, 'db.unavailable');
    t.deepEqual(await breaker(), { closed: 0, open: 1, 'half-open': 0 });
  } finally {
    proxy.restore();
  }

  // The first request after halfOpenAfterMs is the probe; it finds the database and closes the breaker.
  await eventually(async () => ((await login()).status === 401 ? true : undefined), 'a login answered again');
  t.deepEqual(await breaker(), { closed: 1, open: 0, 'half-open': 0 });
});
