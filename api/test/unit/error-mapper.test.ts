import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import test from 'ava';
import Koa from 'koa';
import { DomainError, userAlreadyExists } from '../../src/errors.js';
import { errorMapper } from '../../src/http/middleware/error-mapper.js';
import { requestId } from '../../src/http/middleware/request-id.js';
import { createLogger } from '../../src/logger.js';

/** A tiny app whose only route throws what the test gives it, behind the real error mapper. */
async function answerTo(thrown: unknown) {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const app = new Koa();
  app.use(requestId());
  app.use(errorMapper(createLogger({ level: 'info', format: 'json' }, sink)));
  app.use(() => {
    throw thrown;
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const body = (await response.json()) as Record<string, unknown>;
    return { status: response.status, body, headers: response.headers, logs: lines };
  } finally {
    server.close();
  }
}

test('a domain 4xx becomes a JSend fail with code, fields and request id', async (t) => {
  const { status, body, headers } = await answerTo(userAlreadyExists());
  t.is(status, 409);
  t.deepEqual(body, {
    status: 'fail',
    code: 'user.already_exists',
    message: 'An account with this email already exists.',
    data: { email: 'is already registered' },
    requestId: headers.get('x-request-id'),
  });
});

test('a 401 carries the Bearer challenge', async (t) => {
  const { status, headers } = await answerTo(new DomainError('auth.invalid_token', 401, 'no'));
  t.is(status, 401);
  t.is(headers.get('www-authenticate'), 'Bearer');
});

test('a domain 5xx becomes a JSend error with its code', async (t) => {
  const { status, body } = await answerTo(new DomainError('service.unavailable', 503, 'later'));
  t.is(status, 503);
  t.like(body, { status: 'error', code: 'service.unavailable', message: 'later' });
});

test('a database connection failure becomes a 503, not a 500, and its cause is logged', async (t) => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  const { status, body, logs } = await answerTo(refused);
  t.is(status, 503);
  t.is(body.code, 'db.unavailable');
  t.regex(JSON.parse(logs[0] ?? '{}').err.message, /ECONNREFUSED/);
});

test('a 5xx the code raised on purpose is logged with its code and request id, without a stack', async (t) => {
  const { headers, logs } = await answerTo(new DomainError('service.overloaded', 503, 'busy'));
  t.is(logs.length, 1);
  const logged = JSON.parse(logs[0] ?? '{}');
  t.like(logged, {
    level: 40,
    code: 'service.overloaded',
    msg: 'busy',
    requestId: headers.get('x-request-id'),
  });
  t.false('err' in logged);
});

test('a bug becomes a generic 500: no message, no stack, but logged with the request id', async (t) => {
  const { status, body, headers, logs } = await answerTo(new TypeError('secret internals at line 42'));
  t.is(status, 500);
  t.deepEqual(body, {
    status: 'error',
    code: 'internal',
    message: 'Internal server error.',
    requestId: headers.get('x-request-id'),
  });
  const logged = JSON.parse(logs[0] ?? '{}');
  t.is(logged.requestId, headers.get('x-request-id'));
  t.regex(logged.err.stack, /secret internals/);
});

test('non-Error throwables are handled too', async (t) => {
  t.is((await answerTo('a string')).status, 500);
  t.is((await answerTo(undefined)).status, 500);
  t.is((await answerTo(Object.assign(new Error('x'), { status: 404 }))).body.code, 'route.not_found');
});
