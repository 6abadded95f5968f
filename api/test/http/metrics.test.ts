import { randomUUID } from 'node:crypto';
import test from 'ava';
import { API_METRICS, AUTH_EVENTS } from '../../src/observability/metric-catalog.js';
import { signUpAndIn } from '../support/accounts.js';
import { apiOnFreshDatabase } from '../support/api-server.js';

const suite = apiOnFreshDatabase();

const scrape = async () => {
  const response = await suite.api.request('GET', '/metrics');
  return { status: response.status, type: response.headers.get('content-type'), text: String(response.body) };
};

const seriesOf = (text: string, metric: string) =>
  text.split('\n').filter((line) => line.startsWith(`${metric}{`) || line.startsWith(`${metric} `));

test.serial('1000 distinct ids make one series per route, never one per path', async (t) => {
  const user = await signUpAndIn(suite.api);
  const ids = Array.from({ length: 1000 }, () => randomUUID());
  for (let i = 0; i < ids.length; i += 100) {
    await Promise.all(
      ids
        .slice(i, i + 100)
        .flatMap((id) => [
          suite.api.request('GET', `/api/v1/users/${id}`, { token: user.accessToken }),
          suite.api.request('DELETE', `/api/v1/sessions/${id}`, { token: user.accessToken }),
        ]),
    );
  }
  const { text } = await scrape();
  const requests = seriesOf(text, 'http_requests_total');
  t.false(
    requests.some((line) => ids.some((id) => line.includes(id))),
    'no raw id in any label',
  );
  const unmatched = requests.filter(
    (line) => line.includes('route="unmatched"') && line.includes('method="GET"'),
  );
  t.is(unmatched.length, 1);
  t.regex(unmatched[0] ?? '', /status="404"} 1000$/);
  const sessions = requests.filter((line) => line.includes('route="/api/v1/sessions/:id"'));
  t.is(sessions.length, 1);
  t.regex(sessions[0] ?? '', /method="DELETE",route="\/api\/v1\/sessions\/:id",status="404"} 1000$/);
  const durationSeries = seriesOf(text, 'http_request_duration_seconds_count').filter((line) =>
    line.includes('sessions/:id'),
  );
  t.is(durationSeries.length, 1);
});

test.serial('every metric of the catalog is exported, with its type', async (t) => {
  await signUpAndIn(suite.api);
  const { status, type, text } = await scrape();
  t.is(status, 200);
  t.regex(type ?? '', /^text\/plain; version=0\.0\.4/);
  for (const metric of Object.values(API_METRICS)) {
    t.true(text.includes(`# TYPE ${metric.name} ${metric.type}`), metric.name);
  }
  t.true(text.includes('process_cpu_seconds_total'), 'process defaults');
  t.true(text.includes('nodejs_eventloop_lag_seconds'), 'event-loop defaults');
});

test.serial('the HTTP histogram spans 5 ms to 10 s; queries and the pool are measured', async (t) => {
  await signUpAndIn(suite.api);
  const { text } = await scrape();
  t.true(text.includes('http_request_duration_seconds_bucket{le="0.005"'));
  t.true(text.includes('http_request_duration_seconds_bucket{le="10"'));
  t.regex(text, /db_query_duration_seconds_count\{operation="insert"} [1-9]/);
  t.regex(text, /db_query_duration_seconds_count\{operation="select"} [1-9]/);
  for (const state of ['used', 'free', 'pending'])
    t.regex(text, new RegExp(`db_pool_connections\\{state="${state}"} \\d`));
});

test.serial('auth events are counted by kind', async (t) => {
  const count = (text: string, event: string) =>
    Number(new RegExp(`auth_events_total\\{event="${event}"} (\\d+)`).exec(text)?.[1] ?? Number.NaN);
  const before = (await scrape()).text;
  // Every event has its series before it first happens, so the alerts' rate() works from the start.
  for (const event of AUTH_EVENTS) t.false(Number.isNaN(count(before, event)), `${event} is exported`);
  const user = await signUpAndIn(suite.api);
  await suite.api.request('POST', '/api/v1/auth/login', {
    json: { email: user.email, password: 'wrong password' },
  });
  const refreshed = await suite.api.request('POST', '/api/v1/auth/refresh', {
    json: { refreshToken: user.refreshToken },
  });
  await suite.api.request('POST', '/api/v1/auth/logout', {
    json: { refreshToken: refreshed.body.data.refreshToken },
  });
  const after = (await scrape()).text;
  const delta = (event: string) => count(after, event) - count(before, event);
  t.is(delta('register'), 1);
  t.is(delta('login_success'), 1);
  t.is(delta('login_failure'), 1);
  t.is(delta('refresh'), 1);
  t.is(delta('logout'), 1);
  t.is(delta('refresh_reuse_detected'), 0, 'zero-initialised series exist before the first event');
  t.is(count(after, 'rate_limited'), 0, 'no request was limited, and the series is there at 0');
});
