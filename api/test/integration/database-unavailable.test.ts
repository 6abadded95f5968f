import test from 'ava';
import { DatabaseUnreachableError } from '../../src/db/wait-for-database.js';
import { STRONG_PASSWORD, uniqueEmail } from '../support/accounts.js';
import { startApi } from '../support/api-server.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { freePort } from '../support/free-port.js';
import { startTcpProxy, type TcpProxy, targetOf } from '../support/tcp-proxy.js';

let database: TestDatabase;
let proxy: TcpProxy;

test.before(async () => {
  database = await createTestDatabase();
  proxy = await startTcpProxy(targetOf(database.url));
});

test.after.always(async () => {
  await proxy?.close();
  await database?.drop();
});

const quickStartupWait = { initialDelayMs: 100, maxDelayMs: 300 };

test.serial('start-up waits for a database that is not there yet and comes up once it is', async (t) => {
  proxy.cut();
  const restored = setTimeout(() => proxy.restore(), 1_000);
  const started = Date.now();
  const api = await startApi(
    { DATABASE_URL: proxy.route(database.url) },
    { databaseStartupWait: quickStartupWait },
  ).finally(() => clearTimeout(restored));
  try {
    t.true(Date.now() - started >= 1_000, 'it did wait');
    const registered = await api.request('POST', '/api/v1/auth/register', {
      json: { email: uniqueEmail('late'), password: STRONG_PASSWORD, name: 'Late' },
    });
    t.is(registered.status, 201);
  } finally {
    await api.close();
  }
});

test.serial('start-up gives up on a database that never comes, naming where it looked', async (t) => {
  const port = await freePort();
  const started = Date.now();
  const error = await t.throwsAsync(
    startApi(
      { DATABASE_URL: `postgres://postgres:secret@127.0.0.1:${port}/nothing`, MIGRATE_ON_START: 'false' },
      { databaseStartupWait: { ...quickStartupWait, timeoutMs: 1_000 } },
    ),
    { instanceOf: DatabaseUnreachableError },
  );
  const message = error?.message ?? '';
  t.regex(message, new RegExp(`database at postgres://postgres:\\*\\*\\*@127\\.0\\.0\\.1:${port}/nothing`));
  t.regex(message, /still unreachable after 1\.\d s: .*ECONNREFUSED/);
  t.false(message.includes('secret'), 'no password in the message');
  t.true(Date.now() - started < 5_000);
});

test.serial(
  'with the database gone, requests get a 503 with a stable code and readiness fails',
  async (t) => {
    const api = await startApi({ DATABASE_URL: proxy.route(database.url) });
    proxy.cut();
    try {
      const login = await api.request('POST', '/api/v1/auth/login', {
        json: { email: 'a@example.test', password: 'whatever password' },
      });
      t.is(login.status, 503);
      t.like(login.body, { status: 'error', code: 'db.unavailable' });
      t.is(typeof login.body.requestId, 'string');

      const register = await api.request('POST', '/api/v1/auth/register', {
        json: { email: 'a@example.test', password: 'correct horse battery', name: 'A' },
      });
      t.is(register.status, 503);
      t.is(register.body.code, 'db.unavailable');

      const ready = await api.request('GET', '/health/ready');
      t.is(ready.status, 503);
      t.is(ready.body.code, 'service.not_ready');
      t.regex(ready.body.message, /database: unreachable/);
      t.is((await api.request('GET', '/health/live')).status, 200);
    } finally {
      proxy.restore();
      await api.close();
    }
  },
);
