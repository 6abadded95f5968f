import { createServer } from 'node:net';
import test from 'ava';
import { startApi } from '../support/api-server.js';

/** A port nothing listens on: connections to it are refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('with the database gone, requests get a 503 with a stable code and readiness fails', async (t) => {
  const api = await startApi({
    DATABASE_URL: `postgres://postgres@127.0.0.1:${await closedPort()}/nothing`,
    MIGRATE_ON_START: 'false',
  });
  try {
    const login = await api.request('POST', '/api/v1/auth/login', {
      json: { email: 'a@example.test', password: 'whatever password' },
    });
    t.is(login.status, 503);
    t.like(login.body, { status: 'error', code: 'service.unavailable' });
    t.is(typeof login.body.requestId, 'string');

    const register = await api.request('POST', '/api/v1/auth/register', {
      json: { email: 'a@example.test', password: 'correct horse battery', name: 'A' },
    });
    t.is(register.status, 503);

    const ready = await api.request('GET', '/health/ready');
    t.is(ready.status, 503);
    t.is(ready.body.code, 'service.not_ready');
    t.regex(ready.body.message, /database: unreachable/);
    t.is((await api.request('GET', '/health/live')).status, 200);
  } finally {
    await api.close();
  }
});
