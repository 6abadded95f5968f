import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import test from 'ava';
import Koa, { type Middleware } from 'koa';
import { concerning, invalidCredentials, refreshTokenReused } from '../../src/errors.js';
import { type AuthAuditEvent, authAudit, noteAuditSubject } from '../../src/http/middleware/auth-audit.js';
import { errorMapper } from '../../src/http/middleware/error-mapper.js';
import { requestId } from '../../src/http/middleware/request-id.js';
import { createLogger } from '../../src/logger.js';
import { emailHasher } from '../../src/observability/email-hash.js';

const hashEmail = emailHasher(Buffer.alloc(32, 7));

/** One request through the audit middleware around `handler`; the audit lines it wrote. */
async function audited(event: AuthAuditEvent, handler: Middleware, logLevel = 'info') {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger({ level: logLevel, format: 'json' }, sink);
  const app = new Koa();
  app.use(requestId());
  app.use(errorMapper(logger));
  app.use(authAudit(logger, hashEmail)(event));
  app.use(handler);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, {
      headers: { 'user-agent': 'audit-test/1.0', 'x-request-id': 'req-1' },
    });
    return { status: response.status, audit: lines.filter((line) => line.audit === true) };
  } finally {
    server.close();
  }
}

test('a failed login: its code, the address, a keyed hash of the email, the request id', async (t) => {
  const { status, audit } = await audited('login', (ctx) => {
    noteAuditSubject(ctx, { email: 'Victim@Example.com' });
    throw invalidCredentials();
  });
  t.is(status, 401);
  t.is(audit.length, 1);
  t.like(audit[0], {
    level: 30,
    msg: 'auth event',
    event: 'login',
    code: 'auth.invalid_credentials',
    outcome: 'failure',
    ip: '127.0.0.1',
    userAgent: 'audit-test/1.0',
    emailHash: hashEmail('victim@example.com'),
    requestId: 'req-1',
  });
  t.false(JSON.stringify(audit).toLowerCase().includes('victim@example.com'), 'no address in clear');
});

test('a success says ok, or the outcome the handler noted, with the user and session', async (t) => {
  const plain = await audited('login', (ctx) => {
    noteAuditSubject(ctx, { email: 'a@example.com', userId: 'u-1', sessionId: 's-1' });
    ctx.body = {};
  });
  t.like(plain.audit[0], { level: 30, code: 'ok', outcome: 'success', userId: 'u-1', sessionId: 's-1' });
  const grace = await audited('refresh', (ctx) => {
    noteAuditSubject(ctx, { outcome: 'grace', userId: 'u-1', sessionId: 's-1' });
    ctx.body = {};
  });
  t.like(grace.audit[0], { event: 'refresh', code: 'grace', outcome: 'success' });
});

test('an error that names its subject puts it on the line: the session a reused token ended', async (t) => {
  const { audit } = await audited('refresh', () => {
    throw concerning(refreshTokenReused(), {
      userId: 'u-2',
      sessionId: 's-2',
      reason: 'other_client',
    });
  });
  t.like(audit[0], {
    code: 'auth.refresh_token_reused',
    outcome: 'failure',
    userId: 'u-2',
    sessionId: 's-2',
    reason: 'other_client',
  });
});

test('a bug is recorded as internal_error, and the audit line is written even at LOG_LEVEL=error', async (t) => {
  const { status, audit } = await audited(
    'password_change',
    () => {
      throw new TypeError('boom');
    },
    'error',
  );
  t.is(status, 500);
  t.like(audit[0], { event: 'password_change', code: 'internal_error', outcome: 'failure' });
});

test('the email hash ignores case and surrounding spaces and depends on the key', (t) => {
  t.is(hashEmail(' Someone@Example.COM '), hashEmail('someone@example.com'));
  t.not(emailHasher(Buffer.alloc(32, 8))('someone@example.com'), hashEmail('someone@example.com'));
  t.regex(hashEmail('someone@example.com'), /^[A-Za-z0-9_-]{22}$/);
});
