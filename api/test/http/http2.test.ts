import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { constants, type IncomingHttpHeaders } from 'node:http2';
import { gunzipSync } from 'node:zlib';
import test from 'ava';
import { STRONG_PASSWORD, uniqueEmail } from '../support/accounts.js';
import { apiOnFreshDatabase } from '../support/api-server.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { goawayOf, openSession, send, sendJson } from '../support/http2-client.js';
import { startApiProcess, waitForLine } from '../support/processes.js';

const suite = apiOnFreshDatabase({ HTTP_PROTOCOL: 'h2c' });

/** What the security-headers middleware adds to every answer (see security-headers.ts). */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'",
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

test.serial(
  'while draining, an answer closes its HTTP/2 session with GOAWAY, not with a Connection header',
  async (t) => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    const session = await openSession(suite.api.baseUrl);
    const goaway = goawayOf(session);
    suite.api.runtime.lifecycle.draining = true;
    try {
      const answer = await send(session, 'GET', '/health/live');
      t.is(answer.status, 200);
      t.is(answer.headers.connection, undefined);
      t.like(await goaway, { code: constants.NGHTTP2_NO_ERROR, lastStreamId: 1 });
      t.true(session.closed, 'the client stops opening streams on it');
      const ready = await send(await openSession(suite.api.baseUrl), 'GET', '/health/ready');
      t.like(ready, { status: 503, body: { code: 'service.not_ready' } });
    } finally {
      suite.api.runtime.lifecycle.draining = false;
      process.off('warning', onWarning);
    }
    t.deepEqual(warnings, [], 'no warning about a dropped connection header');
  },
);

test('h2c with prior knowledge: JSend answers and the security headers arrive over HTTP/2', async (t) => {
  const session = await openSession(suite.api.baseUrl);
  const live = await send(session, 'GET', '/health/live', { headers: { 'x-request-id': 'h2-live-1' } });
  t.like(live, { status: 200, body: { status: 'success' } });
  t.like(live.headers, { ...SECURITY_HEADERS, 'x-request-id': 'h2-live-1' });
  const missing = await send(session, 'GET', '/no/such/route');
  t.like(missing, { status: 404, body: { status: 'fail', code: 'route.not_found' } });
  t.regex(missing.body.requestId, /^[0-9a-f-]{36}$/);
  t.like(missing.headers, SECURITY_HEADERS);
  session.close();
});

test('a large answer arrives compressed over HTTP/2', async (t) => {
  const session = await openSession(suite.api.baseUrl);
  const stream = session.request(
    { ':path': '/openapi.json', 'accept-encoding': 'gzip' },
    { endStream: true },
  );
  const [headers] = (await once(stream, 'response')) as [IncomingHttpHeaders];
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  t.is(Number(headers[':status']), 200);
  t.is(headers['content-encoding'], 'gzip');
  t.is(JSON.parse(gunzipSync(Buffer.concat(chunks)).toString('utf8')).openapi, '3.1.0');
  session.close();
});

test('the h2c port still speaks HTTP/1.1, as the kubelet probes it and HTTP/1.1 proxies call it', async (t) => {
  t.like(await suite.api.request('GET', '/health/ready'), { status: 200, body: { status: 'success' } });
  const missing = await suite.api.request('GET', '/no/such/route');
  t.like(missing, { status: 404, body: { code: 'route.not_found' } });
  t.is(missing.headers.get('x-content-type-options'), 'nosniff');
});

test('JSON bodies sent as DATA frames without Content-Length: sign up, log in and read the account', async (t) => {
  const session = await openSession(suite.api.baseUrl);
  const email = uniqueEmail('h2');
  const registered = await sendJson(session, 'POST', '/api/v1/auth/register', {
    email,
    password: STRONG_PASSWORD,
    name: 'Over HTTP/2',
  });
  t.is(registered.status, 201, registered.text);
  const login = await sendJson(session, 'POST', '/api/v1/auth/login', { email, password: STRONG_PASSWORD });
  t.is(login.status, 200, login.text);
  const me = await send(session, 'GET', '/api/v1/users/me', {
    headers: { authorization: `Bearer ${login.body.data.accessToken}` },
  });
  t.like(me, { status: 200, body: { data: { user: { email, name: 'Over HTTP/2' } } } });
  t.is(me.headers['cache-control'], 'no-store');
  session.close();
});

test('a bad body over HTTP/2 gets the same answers as over HTTP/1.1', async (t) => {
  const session = await openSession(suite.api.baseUrl);
  const path = '/api/v1/auth/login';
  const malformed = await send(session, 'POST', path, {
    headers: { 'content-type': 'application/json' },
    body: '{"email": ',
  });
  t.like(malformed, { status: 400, body: { code: 'request.malformed_json' } });
  const notJson = await send(session, 'POST', path, {
    headers: { 'content-type': 'text/plain' },
    body: 'hi',
  });
  t.like(notJson, { status: 415, body: { code: 'request.unsupported_media_type' } });
  const tooLarge = await sendJson(session, 'POST', path, { email: 'x'.repeat(20_000) });
  t.like(tooLarge, { status: 413, body: { code: 'request.body_too_large' } });
  const none = await send(session, 'POST', path);
  t.like(none, { status: 400, body: { code: 'validation.failed' } });
  session.close();
});

test('a hundred requests at once share one session', async (t) => {
  const session = await openSession(suite.api.baseUrl);
  const answers = await Promise.all(Array.from({ length: 100 }, () => send(session, 'GET', '/health/live')));
  t.deepEqual(new Set(answers.map((answer) => answer.status)), new Set([200]));
  session.close();
});

test('a header block over 16 KiB resets its stream, and the session carries on', async (t) => {
  const session = await openSession(suite.api.baseUrl);
  // Random text: HPACK cannot shrink it, whatever the limit is counted on.
  const oversized = randomBytes(15_000).toString('base64');
  const refused = await t.throwsAsync(
    send(session, 'GET', '/health/live', { headers: { 'x-big': oversized } }),
  );
  t.regex(refused?.message ?? '', /ENHANCE_YOUR_CALM/);
  t.is((await send(session, 'GET', '/health/live')).status, 200);
  session.close();
});

test.serial(
  'SIGTERM over h2c: sessions get GOAWAY, requests in the delay are answered, exit 0',
  async (t) => {
    let database: TestDatabase | undefined;
    try {
      database = await createTestDatabase();
      const { child, output, url } = await startApiProcess({
        DATABASE_URL: database.url,
        HTTP_PROTOCOL: 'h2c',
        SHUTDOWN_DELAY: '1s',
      });
      const active = await openSession(url);
      const idle = await openSession(url);
      const activeGoaway = goawayOf(active);
      const idleGoaway = goawayOf(idle);
      t.is((await send(active, 'GET', '/health/live')).status, 200);
      const draining = waitForLine(child, /draining: readiness now fails/);
      child.kill('SIGTERM');
      await draining;
      t.is((await send(active, 'GET', '/health/live')).status, 200, 'answered during the shutdown delay');
      t.like(await activeGoaway, { code: constants.NGHTTP2_NO_ERROR, lastStreamId: 3 });
      t.is((await idleGoaway).code, constants.NGHTTP2_NO_ERROR, 'the idle session is closed at shutdown');
      const { code, stdout, stderr } = await output;
      t.is(code, 0, stderr);
      t.is(stderr, '', 'no warning, no error');
      t.regex(stdout, /"msg":"stopped"/);
    } finally {
      await database?.drop();
    }
  },
);
