import test from 'ava';
import { STRONG_PASSWORD, signUpAndIn, uniqueEmail } from '../support/accounts.js';
import { apiOnFreshDatabase } from '../support/api-server.js';
import { testClock } from '../support/clock.js';
import { collectLogLines, type LogLine } from '../support/log-lines.js';
import { runScript } from '../support/processes.js';

// LOG_LEVEL=warn: the successes below are info lines, and must be written all the same.
const logs = collectLogLines();
const time = testClock();
const suite = apiOnFreshDatabase(
  { TRUST_PROXY_HOPS: '1', LOG_LEVEL: 'warn' },
  { clock: time.clock, logDestination: logs.destination, validateResponses: true },
);

const ATTACKER = { 'x-forwarded-for': '198.51.100.66', 'user-agent': 'stuffing-bot/2' };

const auditOf = (requestId: string): LogLine | undefined =>
  logs.parsed().find((line) => line.audit === true && line.requestId === requestId);

/** The hash the logs carry, as the on-call engineer gets it: `npm run users -- email-hash <email>`. */
async function hashAsLogged(email: string): Promise<string> {
  const printed = await runScript('src/cli/users.ts', ['email-hash', email], {
    DATABASE_URL: suite.database.url,
  });
  return printed.stdout.trim();
}

test.serial('a failed login names its code, the address, the user agent and the hashed email', async (t) => {
  const victim = await signUpAndIn(suite.api);
  const guess = await suite.api.request('POST', '/api/v1/auth/login', {
    json: { email: victim.email.toUpperCase(), password: `${STRONG_PASSWORD}!` },
    headers: { ...ATTACKER, 'x-request-id': 'guess-1' },
  });
  t.is(guess.status, 401);
  t.like(auditOf('guess-1'), {
    level: 30,
    msg: 'auth event',
    event: 'login',
    code: 'auth.invalid_credentials',
    outcome: 'failure',
    ip: '198.51.100.66',
    userAgent: 'stuffing-bot/2',
    emailHash: await hashAsLogged(victim.email),
  });
  const line = JSON.stringify(auditOf('guess-1')).toLowerCase();
  t.false(line.includes(victim.email.toLowerCase()), 'no email in clear');
  t.false(line.includes(STRONG_PASSWORD), 'no password');
});

test.serial('successes are logged at LOG_LEVEL=warn with the user and the session', async (t) => {
  const email = uniqueEmail('audited');
  const registered = await suite.api.request('POST', '/api/v1/auth/register', {
    json: { email, password: STRONG_PASSWORD, name: 'Audited' },
    headers: { 'x-request-id': 'register-1' },
  });
  const login = await suite.api.request('POST', '/api/v1/auth/login', {
    json: { email, password: STRONG_PASSWORD },
    headers: { 'x-request-id': 'login-1' },
  });
  const { refreshToken, accessToken } = login.body.data;
  const refreshed = await suite.api.request('POST', '/api/v1/auth/refresh', {
    json: { refreshToken },
    headers: { 'x-request-id': 'refresh-1' },
  });
  await suite.api.request('POST', '/api/v1/auth/logout', {
    json: { refreshToken: refreshed.body.data.refreshToken },
    headers: { 'x-request-id': 'logout-1' },
  });
  const userId = registered.body.data.user.id;
  t.like(auditOf('register-1'), { event: 'register', code: 'ok', userId });
  const loggedIn = auditOf('login-1');
  t.like(loggedIn, { level: 30, event: 'login', code: 'ok', outcome: 'success', userId });
  t.regex(String(loggedIn?.sessionId), /^[0-9a-f-]{36}$/);
  t.like(auditOf('refresh-1'), { event: 'refresh', code: 'ok', userId, sessionId: loggedIn?.sessionId });
  t.like(auditOf('logout-1'), { event: 'logout', code: 'ok' });
  const all = JSON.stringify(logs.parsed());
  for (const secret of [accessToken, refreshToken, refreshed.body.data.refreshToken])
    t.false(all.includes(secret));
});

test.serial('a wrong current password and a reused refresh token are logged as failures', async (t) => {
  const user = await signUpAndIn(suite.api);
  await suite.api.request('PUT', '/api/v1/users/me/password', {
    token: user.accessToken,
    json: { currentPassword: 'not the password at all', newPassword: `${STRONG_PASSWORD} 2` },
    headers: { 'x-request-id': 'change-1' },
  });
  t.like(auditOf('change-1'), {
    event: 'password_change',
    code: 'auth.wrong_password',
    outcome: 'failure',
    userId: user.userId,
  });

  const other = await signUpAndIn(suite.api);
  await suite.api.request('POST', '/api/v1/auth/refresh', { json: { refreshToken: other.refreshToken } });
  time.advance(60);
  await suite.api.request('POST', '/api/v1/auth/refresh', {
    json: { refreshToken: other.refreshToken },
    headers: { 'x-request-id': 'reuse-1' },
  });
  t.like(auditOf('reuse-1'), {
    event: 'refresh',
    code: 'auth.refresh_token_reused',
    outcome: 'failure',
    userId: other.userId,
    reason: 'outside_window',
  });
  t.regex(String(auditOf('reuse-1')?.sessionId), /^[0-9a-f-]{36}$/);
});
