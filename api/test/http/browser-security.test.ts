import test from 'ava';
import { STRONG_PASSWORD, signUpAndIn, uniqueEmail } from '../support/accounts.js';
import { apiOnFreshDatabase } from '../support/api-server.js';

const APP_ORIGIN = 'https://app.example.test';
// Every answer, errors included, must match the OpenAPI document.
const suite = apiOnFreshDatabase(
  { CORS_ORIGINS: `${APP_ORIGIN}, https://admin.example.test` },
  { validateResponses: true },
);

const cookieFrom = (setCookie: string | null) => /__Host-skeleton-refresh=([^;]*)/.exec(setCookie ?? '')?.[1];

test('security headers fit a JSON API', async (t) => {
  const { headers } = await suite.api.request('GET', '/health/live');
  t.is(
    headers.get('content-security-policy'),
    "default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'",
  );
  t.is(headers.get('strict-transport-security'), 'max-age=31536000; includeSubDomains');
  t.is(headers.get('x-content-type-options'), 'nosniff');
  // The same answer as frame-ancestors 'none', for browsers that read only the older header.
  t.is(headers.get('x-frame-options'), 'DENY');
  t.is(headers.get('referrer-policy'), 'no-referrer');
  t.is(headers.get('x-powered-by'), null);
  const failed = await suite.api.request('GET', '/nowhere');
  t.is(failed.headers.get('x-content-type-options'), 'nosniff', 'error responses too');
});

test('auth responses must not be cached', async (t) => {
  const login = await suite.api.request('POST', '/api/v1/auth/login', {
    json: { email: 'x@example.test', password: 'x' },
  });
  t.is(login.headers.get('cache-control'), 'no-store');
});

test('CORS: an allowed origin gets its preflight answered, any other is refused', async (t) => {
  const preflight = (origin: string) =>
    suite.api.request('OPTIONS', '/api/v1/auth/refresh', {
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
  const allowed = await preflight(APP_ORIGIN);
  t.is(allowed.status, 204);
  t.is(allowed.headers.get('access-control-allow-origin'), APP_ORIGIN);
  t.is(allowed.headers.get('access-control-allow-credentials'), 'true');
  t.regex(allowed.headers.get('access-control-allow-methods') ?? '', /POST/);

  const refused = await preflight('https://evil.example.test');
  t.is(refused.status, 403);
  t.is(refused.body.code, 'cors.origin_not_allowed');
  t.is(refused.headers.get('access-control-allow-origin'), null);

  const simple = await suite.api.request('GET', '/health/live', {
    headers: { origin: 'https://evil.example.test' },
  });
  t.is(simple.headers.get('access-control-allow-origin'), null);
});

test('cookie mode: login sets a __Host- HttpOnly Secure SameSite=Strict cookie and keeps the token out of the body', async (t) => {
  const { email } = await signUpAndIn(suite.api);
  const login = await suite.api.request('POST', '/api/v1/auth/login', {
    json: { email, password: STRONG_PASSWORD, refreshTokenTransport: 'cookie' },
  });
  t.is(login.status, 200);
  // The login also sets the device cookie (see the rate-limit tests); the refresh cookie is its own line.
  const setCookie =
    login.headers.getSetCookie().find((line) => line.startsWith('__Host-skeleton-refresh=')) ?? '';
  t.regex(
    setCookie,
    /^__Host-skeleton-refresh=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=604800; HttpOnly; Secure; SameSite=Strict$/,
  );
  t.false('refreshToken' in login.body.data);
  t.truthy(login.body.data.accessToken);
});

test('cookie mode: refresh from an allowed origin rotates the cookie; logout clears it', async (t) => {
  const { email } = await signUpAndIn(suite.api);
  const login = await suite.api.request('POST', '/api/v1/auth/login', {
    json: { email, password: STRONG_PASSWORD, refreshTokenTransport: 'cookie' },
  });
  const first = cookieFrom(login.headers.get('set-cookie'));
  const refreshed = await suite.api.request('POST', '/api/v1/auth/refresh', {
    headers: { cookie: `__Host-skeleton-refresh=${first}`, origin: APP_ORIGIN },
  });
  t.is(refreshed.status, 200, JSON.stringify(refreshed.body));
  const second = cookieFrom(refreshed.headers.get('set-cookie'));
  t.truthy(second);
  t.not(second, first);
  t.false('refreshToken' in refreshed.body.data);
  t.is(
    (await suite.api.request('GET', '/api/v1/users/me', { token: refreshed.body.data.accessToken })).status,
    200,
  );

  const sameOrigin = await suite.api.request('POST', '/api/v1/auth/refresh', {
    headers: { cookie: `__Host-skeleton-refresh=${second}`, 'sec-fetch-site': 'same-origin' },
  });
  t.is(sameOrigin.status, 200);
  const third = cookieFrom(sameOrigin.headers.get('set-cookie'));

  const logout = await suite.api.request('POST', '/api/v1/auth/logout', {
    headers: { cookie: `__Host-skeleton-refresh=${third}`, origin: APP_ORIGIN },
  });
  t.is(logout.status, 200);
  t.regex(logout.headers.get('set-cookie') ?? '', /^__Host-skeleton-refresh=; Path=\/; Max-Age=0;/);
  const after = await suite.api.request('POST', '/api/v1/auth/refresh', {
    headers: { cookie: `__Host-skeleton-refresh=${third}`, origin: APP_ORIGIN },
  });
  t.is(after.status, 401);
});

test('cookie mode: a cross-site request carrying the cookie is refused and rotates nothing', async (t) => {
  const { email } = await signUpAndIn(suite.api);
  const login = await suite.api.request('POST', '/api/v1/auth/login', {
    json: { email, password: STRONG_PASSWORD, refreshTokenTransport: 'cookie' },
  });
  const cookie = `__Host-skeleton-refresh=${cookieFrom(login.headers.get('set-cookie'))}`;
  const attempts: Array<Record<string, string>> = [
    { cookie, origin: 'https://evil.example.test' },
    { cookie, 'sec-fetch-site': 'cross-site' },
    { cookie, 'sec-fetch-site': 'same-site' },
    { cookie },
  ];
  for (const headers of attempts) {
    const refused = await suite.api.request('POST', '/api/v1/auth/refresh', { headers });
    t.is(refused.status, 403, JSON.stringify(headers));
    t.is(refused.body.code, 'auth.cross_site_request');
    t.is((await suite.api.request('POST', '/api/v1/auth/logout', { headers })).status, 403);
  }
  // The refused attempts did not use the token up: the legitimate page can still refresh.
  const legit = await suite.api.request('POST', '/api/v1/auth/refresh', {
    headers: { cookie, origin: APP_ORIGIN },
  });
  t.is(legit.status, 200);
});

test('large responses are compressed when the client accepts it, small ones are not', async (t) => {
  const admin = await signUpAndIn(suite.api, uniqueEmail('admin'));
  await suite.api.runtime.database.knex('users').where('id', admin.userId).update({ role: 'admin' });
  for (let i = 0; i < 10; i++) await signUpAndIn(suite.api);
  const page = await fetch(`${suite.api.baseUrl}/api/v1/users?limit=100`, {
    headers: { authorization: `Bearer ${admin.accessToken}`, 'accept-encoding': 'gzip' },
  });
  t.is(page.status, 200);
  t.is(page.headers.get('content-encoding'), 'gzip');
  t.true(((await page.json()) as { data: { users: unknown[] } }).data.users.length >= 11);
  const small = await fetch(`${suite.api.baseUrl}/health/live`, { headers: { 'accept-encoding': 'gzip' } });
  t.is(small.headers.get('content-encoding'), null);
});
