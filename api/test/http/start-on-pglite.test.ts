import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { finished, runScript, startScript, waitForLine } from '../support/processes.js';

const PASSWORD = 'correct horse battery staple';

test('npm start on a bare machine: PGlite, every endpoint served, clean SIGTERM', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'skeleton-pglite-'));
  const api = startScript('src/main.ts', [], { PORT: '0', PGLITE_DATA_DIR: dataDir });
  const exited = finished(api);
  try {
    const [, url] = await waitForLine(api, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
    const call = async (method: string, path: string, body?: unknown, token?: string) => {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as { data: Record<string, never> } };
    };

    t.is((await call('GET', '/health/live')).status, 200);
    t.is((await call('GET', '/health/ready')).status, 200);
    t.is((await call('GET', '/.well-known/jwks.json')).status, 200);
    t.is(
      (await call('POST', '/api/v1/auth/register', { email: 'pg@lite.test', password: PASSWORD, name: 'P' }))
        .status,
      201,
    );
    const login = await call('POST', '/api/v1/auth/login', { email: 'pg@lite.test', password: PASSWORD });
    t.is(login.status, 200);
    const { accessToken, refreshToken } = login.body.data;
    t.is((await call('GET', '/api/v1/users/me', undefined, accessToken)).status, 200);
    t.is((await call('PATCH', '/api/v1/users/me', { name: 'Q' }, accessToken)).status, 200);
    const refreshed = await call('POST', '/api/v1/auth/refresh', { refreshToken });
    t.is(refreshed.status, 200);
    const sessions = await call('GET', '/api/v1/sessions', undefined, accessToken);
    t.is(sessions.status, 200);
    t.is(
      (
        await call(
          'PUT',
          '/api/v1/users/me/password',
          { currentPassword: PASSWORD, newPassword: 'new passphrase here' },
          accessToken,
        )
      ).status,
      200,
    );
    t.is((await call('GET', '/api/v1/users', undefined, accessToken)).status, 403);
    t.is(
      (await call('POST', '/api/v1/auth/logout', { refreshToken: refreshed.body.data.refreshToken })).status,
      200,
    );
    const second = await call('POST', '/api/v1/auth/login', {
      email: 'pg@lite.test',
      password: 'new passphrase here',
    });
    const other = await call('POST', '/api/v1/auth/login', {
      email: 'pg@lite.test',
      password: 'new passphrase here',
    });
    const listed = await call('GET', '/api/v1/sessions', undefined, other.body.data.accessToken);
    const ownId = (listed.body.data.sessions as unknown as Array<{ id: string; current: boolean }>).find(
      (session) => session.current,
    )?.id;
    t.is(
      (await call('DELETE', `/api/v1/sessions/${ownId}`, undefined, second.body.data.accessToken)).status,
      200,
    );
    t.is(
      (await call('POST', '/api/v1/auth/logout-all', undefined, second.body.data.accessToken)).status,
      200,
    );
    const third = await call('POST', '/api/v1/auth/login', {
      email: 'pg@lite.test',
      password: 'new passphrase here',
    });
    t.is(
      (
        await call(
          'DELETE',
          '/api/v1/users/me',
          { password: 'new passphrase here' },
          third.body.data.accessToken,
        )
      ).status,
      200,
    );

    api.kill('SIGTERM');
    const { code, stdout } = await exited;
    t.is(code, 0);
    t.regex(stdout, /embedded PGlite database/);
    t.regex(stdout, /ephemeral development key/);
  } finally {
    api.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('production refuses to start without its database, keys and issuer', async (t) => {
  const { code, stderr } = await runScript('src/main.ts', [], { NODE_ENV: 'production' });
  t.is(code, 1);
  t.regex(stderr, /DATABASE_URL: is required when NODE_ENV=production/);
  t.regex(stderr, /JWT_KEYS_FILE: is required/);
  t.regex(stderr, /JWT_ISSUER: is required/);
  t.notRegex(stderr, /\n\s+at /, 'a message, not a stack trace');
});

test('a bad value stops start-up with the name of the variable', async (t) => {
  const { code, stderr } = await runScript('src/main.ts', [], { PORT: 'eighty' });
  t.is(code, 1);
  t.regex(stderr, /PORT: /);
});
