import test from 'ava';
import { requestFor, sessionPlan, tokensAfter } from '../journeys/journey.js';

const account = { email: 'ada@example.com', password: 'pw', address: '10.0.0.1' };
const tokens = { accessToken: 'access-1', refreshToken: 'refresh-1' };

test('a session signs in, repeats its rounds and signs out', (t) => {
  t.deepEqual(sessionPlan(2), [
    'login',
    'me',
    'update profile',
    'me',
    'refresh',
    'me',
    'update profile',
    'me',
    'refresh',
    'logout',
  ]);
  t.deepEqual(sessionPlan(0), ['login', 'logout']);
});

test('each step sends what the API expects, with the session’s current tokens', (t) => {
  t.deepEqual(requestFor('login', account, tokens, 1), {
    method: 'POST',
    path: '/api/v1/auth/login',
    body: { email: 'ada@example.com', password: 'pw' },
  });
  t.deepEqual(requestFor('me', account, tokens, 2), {
    method: 'GET',
    path: '/api/v1/users/me',
    bearer: 'access-1',
  });
  t.deepEqual(requestFor('update profile', account, tokens, 3), {
    method: 'PATCH',
    path: '/api/v1/users/me',
    body: { name: 'Load User 3' },
    bearer: 'access-1',
  });
  t.deepEqual(requestFor('refresh', account, tokens, 4).body, { refreshToken: 'refresh-1' });
  t.deepEqual(requestFor('logout', account, tokens, 5).body, { refreshToken: 'refresh-1' });
});

test('login and refresh replace the pair; other steps keep it; a pair missing is an error', (t) => {
  const answer = { status: 'success', data: { accessToken: 'access-2', refreshToken: 'refresh-2' } };
  t.deepEqual(tokensAfter('refresh', answer, tokens), { accessToken: 'access-2', refreshToken: 'refresh-2' });
  t.is(tokensAfter('me', answer, tokens), tokens);
  t.throws(() => tokensAfter('login', { status: 'success', data: { user: {} } }, tokens), {
    message: 'login answered without a token pair',
  });
});
