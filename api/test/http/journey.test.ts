import test from 'ava';
import { logIn, STRONG_PASSWORD, signUpAndIn, uniqueEmail } from '../support/accounts.js';
import { apiOnFreshDatabase } from '../support/api-server.js';

// Every answer of this suite must match the OpenAPI document: a request that gets any other fails its test.
const suite = apiOnFreshDatabase({}, { validateResponses: true });

test.serial('register → login → me → refresh → replay → password change → logout', async (t) => {
  const email = uniqueEmail('journey');
  const registered = await suite.api.request('POST', '/api/v1/auth/register', {
    json: { email, password: STRONG_PASSWORD, name: 'Ada Lovelace' },
  });
  t.is(registered.status, 201);
  t.is(registered.body.status, 'success');
  t.like(registered.body.data.user, { email, name: 'Ada Lovelace', role: 'user' });
  t.false('passwordHash' in registered.body.data.user);

  const login = await suite.api.request('POST', '/api/v1/auth/login', {
    json: { email, password: STRONG_PASSWORD },
    headers: { 'user-agent': 'laptop' },
  });
  t.is(login.status, 200);
  t.is(login.headers.get('cache-control'), 'no-store');
  const { accessToken, refreshToken, tokenType, expiresIn } = login.body.data;
  t.is(tokenType, 'Bearer');
  t.is(expiresIn, 900);

  const me = await suite.api.request('GET', '/api/v1/users/me', { token: accessToken });
  t.is(me.status, 200);
  t.is(me.body.data.user.email, email);

  const refreshed = await suite.api.request('POST', '/api/v1/auth/refresh', { json: { refreshToken } });
  t.is(refreshed.status, 200);
  t.not(refreshed.body.data.refreshToken, refreshToken);
  t.not(refreshed.body.data.accessToken, accessToken);

  // Replayed within the grace window, the old token yields the very same successor pair.
  const replay = await suite.api.request('POST', '/api/v1/auth/refresh', { json: { refreshToken } });
  t.is(replay.status, 200);
  t.deepEqual(replay.body.data, refreshed.body.data);

  // A second device signs in; a password change from the first ends the second at once.
  const phone = await logIn(suite.api, email);
  const sessions = await suite.api.request('GET', '/api/v1/sessions', {
    token: refreshed.body.data.accessToken,
  });
  t.is(sessions.body.data.sessions.length, 2);
  t.is(sessions.body.data.sessions.filter((session: { current: boolean }) => session.current).length, 1);

  const newPassword = 'an entirely new passphrase';
  const changed = await suite.api.request('PUT', '/api/v1/users/me/password', {
    token: refreshed.body.data.accessToken,
    json: { currentPassword: STRONG_PASSWORD, newPassword },
  });
  t.is(changed.status, 200);
  t.is((await suite.api.request('GET', '/api/v1/users/me', { token: phone.accessToken })).status, 401);
  const phoneRefresh = await suite.api.request('POST', '/api/v1/auth/refresh', {
    json: { refreshToken: phone.refreshToken },
  });
  t.is(phoneRefresh.status, 401);
  t.is(
    (await suite.api.request('GET', '/api/v1/users/me', { token: refreshed.body.data.accessToken })).status,
    200,
  );

  const oldPasswordLogin = await suite.api.request('POST', '/api/v1/auth/login', {
    json: { email, password: STRONG_PASSWORD },
  });
  t.is(oldPasswordLogin.status, 401);

  const logout = await suite.api.request('POST', '/api/v1/auth/logout', {
    json: { refreshToken: refreshed.body.data.refreshToken },
  });
  t.is(logout.status, 200);
  t.is(
    (await suite.api.request('GET', '/api/v1/users/me', { token: refreshed.body.data.accessToken })).status,
    401,
  );
  const afterLogout = await suite.api.request('POST', '/api/v1/auth/refresh', {
    json: { refreshToken: refreshed.body.data.refreshToken },
  });
  t.is(afterLogout.status, 401);

  const again = await logIn(suite.api, email, newPassword);
  t.truthy(again.accessToken);
});

test('login answers an unknown email and a wrong password identically', async (t) => {
  const { email } = await signUpAndIn(suite.api);
  const wrongPassword = await suite.api.request('POST', '/api/v1/auth/login', {
    json: { email, password: 'not the password at all' },
  });
  const unknownEmail = await suite.api.request('POST', '/api/v1/auth/login', {
    json: { email: uniqueEmail('nobody'), password: 'not the password at all' },
  });
  t.is(wrongPassword.status, 401);
  t.is(unknownEmail.status, 401);
  const { requestId: _a, ...wrongBody } = wrongPassword.body;
  const { requestId: _b, ...unknownBody } = unknownEmail.body;
  t.deepEqual(wrongBody, unknownBody);
  t.is(wrongBody.code, 'auth.invalid_credentials');
});

test('login finds an account whatever the case of the email', async (t) => {
  const email = uniqueEmail('MixedCase');
  await signUpAndIn(suite.api, email);
  const login = await suite.api.request('POST', '/api/v1/auth/login', {
    json: { email: email.toUpperCase(), password: STRONG_PASSWORD },
  });
  t.is(login.status, 200);
});

test('profile: name can change, nothing else', async (t) => {
  const user = await signUpAndIn(suite.api);
  const renamed = await suite.api.request('PATCH', '/api/v1/users/me', {
    token: user.accessToken,
    json: { name: '  Grace  ' },
  });
  t.is(renamed.status, 200);
  t.is(renamed.body.data.user.name, 'Grace');

  for (const body of [{ email: 'new@example.test' }, { role: 'admin' }, { name: 'x', role: 'admin' }]) {
    const refused = await suite.api.request('PATCH', '/api/v1/users/me', {
      token: user.accessToken,
      json: body,
    });
    t.is(refused.status, 400, JSON.stringify(body));
    t.is(refused.body.code, 'validation.failed');
  }
  const me = await suite.api.request('GET', '/api/v1/users/me', { token: user.accessToken });
  t.like(me.body.data.user, { name: 'Grace', role: 'user', email: user.email });
});

test('sessions: list marks the current one, another can be ended, unknown ids are 404', async (t) => {
  const first = await signUpAndIn(suite.api);
  const second = await logIn(suite.api, first.email);
  const listed = await suite.api.request('GET', '/api/v1/sessions', { token: first.accessToken });
  const other = listed.body.data.sessions.find((session: { current: boolean }) => !session.current);
  t.truthy(other);

  const ended = await suite.api.request('DELETE', `/api/v1/sessions/${other.id}`, {
    token: first.accessToken,
  });
  t.is(ended.status, 200);
  t.is((await suite.api.request('GET', '/api/v1/users/me', { token: second.accessToken })).status, 401);
  t.is((await suite.api.request('GET', '/api/v1/users/me', { token: first.accessToken })).status, 200);

  const again = await suite.api.request('DELETE', `/api/v1/sessions/${other.id}`, {
    token: first.accessToken,
  });
  t.is(again.status, 404);
  t.is(again.body.code, 'session.not_found');
  const malformed = await suite.api.request('DELETE', '/api/v1/sessions/not-a-uuid', {
    token: first.accessToken,
  });
  t.is(malformed.status, 400);
  t.deepEqual(Object.keys(malformed.body.data), ['id']);
});

test("sessions: one user cannot end another user's session", async (t) => {
  const alice = await signUpAndIn(suite.api);
  const bob = await signUpAndIn(suite.api);
  const bobs = await suite.api.request('GET', '/api/v1/sessions', { token: bob.accessToken });
  const bobSession = bobs.body.data.sessions[0].id;
  const attempt = await suite.api.request('DELETE', `/api/v1/sessions/${bobSession}`, {
    token: alice.accessToken,
  });
  t.is(attempt.status, 404);
  t.is((await suite.api.request('GET', '/api/v1/users/me', { token: bob.accessToken })).status, 200);
});

test('logout-all ends every session of the user', async (t) => {
  const first = await signUpAndIn(suite.api);
  const second = await logIn(suite.api, first.email);
  const response = await suite.api.request('POST', '/api/v1/auth/logout-all', { token: first.accessToken });
  t.is(response.status, 200);
  for (const session of [first, second]) {
    t.is((await suite.api.request('GET', '/api/v1/users/me', { token: session.accessToken })).status, 401);
    const refresh = await suite.api.request('POST', '/api/v1/auth/refresh', {
      json: { refreshToken: session.refreshToken },
    });
    t.is(refresh.status, 401);
  }
});

test('deleting the account needs the password and stops its tokens at once', async (t) => {
  const user = await signUpAndIn(suite.api);
  const wrong = await suite.api.request('DELETE', '/api/v1/users/me', {
    token: user.accessToken,
    json: { password: 'not my password' },
  });
  t.is(wrong.status, 400);
  t.is(wrong.body.code, 'auth.wrong_password');
  t.deepEqual(Object.keys(wrong.body.data), ['password']);

  const deleted = await suite.api.request('DELETE', '/api/v1/users/me', {
    token: user.accessToken,
    json: { password: user.password },
  });
  t.is(deleted.status, 200);
  t.is((await suite.api.request('GET', '/api/v1/users/me', { token: user.accessToken })).status, 401);
  const refresh = await suite.api.request('POST', '/api/v1/auth/refresh', {
    json: { refreshToken: user.refreshToken },
  });
  t.is(refresh.status, 401);
  const login = await suite.api.request('POST', '/api/v1/auth/login', {
    json: { email: user.email, password: user.password },
  });
  t.is(login.status, 401);
  t.is(login.body.code, 'auth.invalid_credentials');
});

test('password change checks the current password and the policy', async (t) => {
  const user = await signUpAndIn(suite.api);
  const wrongCurrent = await suite.api.request('PUT', '/api/v1/users/me/password', {
    token: user.accessToken,
    json: { currentPassword: 'wrong current password', newPassword: 'a fine new passphrase' },
  });
  t.is(wrongCurrent.status, 400);
  t.deepEqual(Object.keys(wrongCurrent.body.data), ['currentPassword']);
  const common = await suite.api.request('PUT', '/api/v1/users/me/password', {
    token: user.accessToken,
    json: { currentPassword: user.password, newPassword: 'password123' },
  });
  t.is(common.status, 400);
  t.deepEqual(Object.keys(common.body.data), ['newPassword']);
});

test('jwks publishes the public signing key and nothing private', async (t) => {
  const response = await suite.api.request('GET', '/.well-known/jwks.json');
  t.is(response.status, 200);
  t.is(response.body.keys.length, 1);
  const [key] = response.body.keys;
  t.like(key, { kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
  t.false('d' in key);
});

test('health: live and ready on a migrated database', async (t) => {
  t.is((await suite.api.request('GET', '/health/live')).status, 200);
  const ready = await suite.api.request('GET', '/health/ready');
  t.is(ready.status, 200);
  t.deepEqual(ready.body.data.checks, { database: 'ok', breaker: 'closed', migrations: 'applied' });
});

test('every response carries a request id, and a well-formed inbound one is kept', async (t) => {
  const minted = await suite.api.request('GET', '/health/live');
  t.regex(minted.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  const kept = await suite.api.request('GET', '/nope', { headers: { 'x-request-id': 'trace-abc.123' } });
  t.is(kept.headers.get('x-request-id'), 'trace-abc.123');
  t.is(kept.body.requestId, 'trace-abc.123');
  const replaced = await suite.api.request('GET', '/health/live', {
    headers: { 'x-request-id': 'bad id\twith spaces' },
  });
  t.not(replaced.headers.get('x-request-id'), 'bad id\twith spaces');
});
