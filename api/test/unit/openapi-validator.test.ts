import test from 'ava';
import { buildOpenApiDocument } from '../../src/http/openapi/document.js';
import { createResponseValidator } from '../support/openapi-validator.js';

const validate = createResponseValidator(buildOpenApiDocument());

const user = {
  id: '0193c1a4-7e5e-7c41-9a7e-0a1b2c3d4e5f',
  email: 'ada@example.com',
  name: 'Ada',
  role: 'user',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};
const failure = (code: string, data = {}) => ({
  status: 'fail',
  code,
  message: 'No.',
  data,
  requestId: 'r-1',
});

test('an answer the document describes passes', (t) => {
  t.deepEqual(
    validate({
      method: 'GET',
      path: '/api/v1/users/me',
      status: 200,
      body: { status: 'success', data: { user } },
    }),
    [],
  );
  t.deepEqual(
    validate({
      method: 'POST',
      path: '/api/v1/auth/logout',
      status: 200,
      body: { status: 'success', data: null },
    }),
    [],
  );
});

test('a templated path selects its operation', (t) => {
  const path = '/api/v1/sessions/0193c1a4-7e5e-7c41-9a7e-0a1b2c3d4e5f';
  t.deepEqual(validate({ method: 'DELETE', path, status: 404, body: failure('session.not_found') }), []);
  t.deepEqual(validate({ method: 'DELETE', path, status: 404, body: failure('user.not_found') }), [
    `DELETE ${path} → 404: /code must be equal to one of the allowed values (session.not_found)`,
  ]);
});

test('an undocumented status fails, naming the operation and the statuses it lists', (t) => {
  t.deepEqual(validate({ method: 'GET', path: '/api/v1/users/me', status: 418, body: failure('teapot') }), [
    'GET /api/v1/users/me answered 418, which the document does not list (it lists 200, 401, 429, 500, 503)',
  ]);
});

test('a field the document does not describe fails', (t) => {
  const leaky = { status: 'success', data: { user: { ...user, passwordHash: '$argon2id$…' } } };
  t.deepEqual(validate({ method: 'GET', path: '/api/v1/users/me', status: 200, body: leaky }), [
    'GET /api/v1/users/me → 200: /data/user must NOT have additional properties (passwordHash)',
  ]);
});

test('every problem of an answer is reported at once', (t) => {
  const problems = validate({
    method: 'POST',
    path: '/api/v1/auth/register',
    status: 201,
    body: { status: 'success', data: { user: { ...user, email: 'not an email', role: 'root' } } },
  });
  t.is(problems.length, 2);
});

test('requests outside every operation must get the answer the document gives them', (t) => {
  const notFound = failure('route.not_found');
  t.deepEqual(validate({ method: 'GET', path: '/nope', status: 404, body: notFound }), []);
  t.deepEqual(validate({ method: 'GET', path: '/nope', status: 200, body: notFound }), [
    'GET /nope is not a documented operation, so 404 RouteNotFound was expected, not 200',
  ]);
  t.deepEqual(
    validate({
      method: 'POST',
      path: '/health/live',
      status: 405,
      body: failure('route.method_not_allowed'),
    }),
    [],
  );
  const preflight = { method: 'OPTIONS', path: '/api/v1/auth/refresh' };
  t.deepEqual(validate({ ...preflight, status: 204, body: '' }), []);
  t.deepEqual(validate({ ...preflight, status: 403, body: failure('cors.origin_not_allowed') }), []);
  t.is(validate({ ...preflight, status: 403, body: failure('auth.forbidden') }).length, 1);
});
