import test from 'ava';
import { STRONG_PASSWORD, uniqueEmail } from '../support/accounts.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { freePort } from '../support/free-port.js';
import { startApiProcess } from '../support/processes.js';

let database: TestDatabase;

test.before(async () => {
  database = await createTestDatabase();
});

test.after.always(async () => {
  await database?.drop();
});

const startProcess = (env: Record<string, string> = {}) =>
  startApiProcess({ DATABASE_URL: database.url, ...env });

const post = (url: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

test.serial(
  'passwords and issued tokens appear in no log line; every line is JSON with the request id',
  async (t) => {
    const { child, output, url } = await startProcess();
    const email = uniqueEmail('logs');
    const password = `${STRONG_PASSWORD} 9f3c`;
    t.is((await post(url, '/api/v1/auth/register', { email, password, name: 'Logged' })).status, 201);
    const login = await post(
      url,
      '/api/v1/auth/login',
      { email, password },
      { 'x-request-id': 'login-req-1' },
    );
    const { accessToken, refreshToken } = ((await login.json()) as { data: Record<string, string> }).data;
    await fetch(`${url}/api/v1/users/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    await post(url, '/api/v1/auth/refresh', { refreshToken });
    await post(url, '/api/v1/auth/login', { email, password: `${password}x` });
    child.kill('SIGTERM');
    const { code, stdout } = await output;
    t.is(code, 0);

    const lines = stdout.trim().split('\n');
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const secret of [password, accessToken, refreshToken]) {
      t.false(stdout.includes(secret as string), 'a secret reached the log');
    }
    const access = records.filter((record) => record.msg === 'request');
    t.true(access.length >= 5);
    const loginLine = access.find((record) => record.requestId === 'login-req-1');
    t.like(loginLine, { method: 'POST', route: '/api/v1/auth/login', status: 200 });
    t.is(typeof loginLine?.durationMs, 'number');
    const meLine = access.find((record) => record.route === '/api/v1/users/me');
    t.is(typeof meLine?.userId, 'string');
    t.true(access.every((record) => typeof record.requestId === 'string'));
  },
);

test.serial('an inbound traceparent is continued: its trace id is on the request’s log lines', async (t) => {
  const { child, output, url } = await startProcess();
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  await fetch(`${url}/api/v1/users/me`, {
    headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, 'x-request-id': 'traced-1' },
  });
  child.kill('SIGTERM');
  const { stdout } = await output;
  const records = stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((record) => record.requestId === 'traced-1');
  t.true(records.length >= 1);
  for (const record of records) t.is(record.traceId, traceId);
});

test.serial('METRICS_PORT moves /metrics off the public port', async (t) => {
  const metricsPort = await freePort();
  const { child, output, url } = await startProcess({ METRICS_PORT: String(metricsPort) });
  const scrape = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  t.is(scrape.status, 200);
  t.regex(await scrape.text(), /# TYPE http_requests_total counter/);
  t.is((await fetch(`${url}/metrics`)).status, 404);
  t.is((await fetch(`http://127.0.0.1:${metricsPort}/other`)).status, 404);
  child.kill('SIGTERM');
  t.is((await output).code, 0);
});
