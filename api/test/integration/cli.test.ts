import test from 'ava';
import { signUpAndIn } from '../support/accounts.js';
import { startApi } from '../support/api-server.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { runScript } from '../support/processes.js';

let database: TestDatabase;

test.before(async () => {
  database = await createTestDatabase();
});

test.after.always(async () => {
  await database?.drop();
});

const migrate = (command: string) =>
  runScript('src/cli/migrate.ts', [command], { DATABASE_URL: database.url });

test.serial('migrate in production needs only DATABASE_URL, as the migration Job sets it', async (t) => {
  // Found by running the Job's container as the kubelet would: it has no signing keys and no issuer.
  const up = await runScript('src/cli/migrate.ts', ['status'], {
    NODE_ENV: 'production',
    DATABASE_URL: database.url,
  });
  t.not(up.code, 2);
  t.notRegex(up.stderr, /JWT_KEYS_FILE|JWT_ISSUER/);
  t.regex(up.stdout, /20261125000000_create_users/);
  const refused = await runScript('src/cli/migrate.ts', ['status'], {
    NODE_ENV: 'production',
    DATABASE_URL: '',
  });
  t.is(refused.code, 1);
  t.regex(refused.stderr, /DATABASE_URL: is required when NODE_ENV=production/);
});

test.serial('migrate: status, up, status, down, up', async (t) => {
  const before = await migrate('status');
  t.is(before.code, 1, 'pending migrations make status fail, so a Job or script can tell');
  t.regex(before.stdout, /pending {2}20261125000000_create_users/);

  const up = await migrate('up');
  t.is(up.code, 0, up.stderr);
  t.regex(up.stdout, /batch 1 applied 20261125000000_create_users, 20261125000100_create_sessions/);
  t.regex(up.stdout, /postgres:\/\/postgres@127\.0\.0\.1/);

  const after = await migrate('status');
  t.is(after.code, 0);
  t.regex(after.stdout, /applied {2}20261125000100_create_sessions/);

  t.regex((await migrate('up')).stdout, /already up to date/);
  const down = await migrate('down');
  t.is(down.code, 0);
  t.regex(down.stdout, /rolled back/);
  t.is((await migrate('up')).code, 0);
});

test.serial('migrate: unknown command is a usage error', async (t) => {
  const { code, stderr } = await migrate('sideways');
  t.is(code, 2);
  t.regex(stderr, /usage: migrate up\|down\|status/);
});

test.serial('migrate: an unreachable database is a clear failure', async (t) => {
  const { code, stderr } = await runScript('src/cli/migrate.ts', ['up'], {
    DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
  });
  t.is(code, 1);
  t.regex(stderr, /migrate failed: .*ECONNREFUSED/);
});

test.serial('users promote makes an admin who can list users; demote undoes it', async (t) => {
  const api = await startApi({ DATABASE_URL: database.url });
  try {
    const admin = await signUpAndIn(api);
    t.is((await api.request('GET', '/api/v1/users', { token: admin.accessToken })).status, 403);

    const promoted = await runScript('src/cli/users.ts', ['promote', admin.email.toUpperCase()], {
      DATABASE_URL: database.url,
    });
    t.is(promoted.code, 0, promoted.stderr);
    t.regex(promoted.stdout, /is now an admin/);
    const listed = await api.request('GET', '/api/v1/users', { token: admin.accessToken });
    t.is(listed.status, 200);
    t.true(listed.body.data.users.some((user: { email: string }) => user.email === admin.email));

    t.is(
      (await runScript('src/cli/users.ts', ['demote', admin.email], { DATABASE_URL: database.url })).code,
      0,
    );
    t.is((await api.request('GET', '/api/v1/users', { token: admin.accessToken })).status, 403);

    const unknown = await runScript('src/cli/users.ts', ['promote', 'nobody@example.test'], {
      DATABASE_URL: database.url,
    });
    t.is(unknown.code, 1);
    t.regex(unknown.stderr, /no live account/);
    t.is(
      (await runScript('src/cli/users.ts', ['crown', admin.email], { DATABASE_URL: database.url })).code,
      2,
    );
  } finally {
    await api.close();
  }
});
