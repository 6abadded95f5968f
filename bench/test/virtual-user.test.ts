import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { sessionPlan } from '../journeys/journey.js';
import { runVirtualUser, type Sample } from '../journeys/virtual-user.js';

interface Seen {
  method: string;
  path: string;
  authorization?: string;
  forwardedFor?: string;
  body: string;
  socket: number;
}

/** A stand-in API that issues numbered token pairs (unless told not to) and fails the requests `fail` picks. */
async function standIn(fail: (index: number) => boolean, issuesPairs = true) {
  const seen: Seen[] = [];
  const sockets = new Map<object, number>();
  let issued = 0;
  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    if (!sockets.has(request.socket)) sockets.set(request.socket, sockets.size);
    seen.push({
      method: request.method ?? '',
      path: request.url ?? '',
      authorization: request.headers.authorization,
      forwardedFor: request.headers['x-forwarded-for'] as string | undefined,
      body,
      socket: sockets.get(request.socket) as number,
    });
    if (fail(seen.length - 1)) {
      response.writeHead(503).end('{"status":"error"}');
      return;
    }
    const issuesPair =
      issuesPairs && (request.url === '/api/v1/auth/login' || request.url === '/api/v1/auth/refresh');
    if (issuesPair) issued += 1;
    const data = issuesPair ? { accessToken: `access-${issued}`, refreshToken: `refresh-${issued}` } : null;
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ status: 'success', data }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    seen,
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

async function runUntil(origin: string, requests: number, issuesTokens = true) {
  const samples: Sample[] = [];
  await runVirtualUser({
    target: { origin, issuesTokens },
    account: { email: 'ada@example.com', password: 'pw', address: '10.1.2.3' },
    plan: sessionPlan(1),
    thinkTimeMs: () => 0,
    running: () => samples.length < requests,
    record: (sample) => samples.push(sample),
  });
  return samples;
}

test('a user carries each new pair forward over one keep-alive connection, from its own address', async (t) => {
  const api = await standIn(() => false);
  t.teardown(api.close);
  const samples = await runUntil(api.origin, 7);

  t.deepEqual(
    samples.map(({ step, status }) => `${step} ${status}`),
    ['login 200', 'me 200', 'update profile 200', 'me 200', 'refresh 200', 'logout 200', 'login 200'],
  );
  t.deepEqual(
    api.seen.map(({ method, path, authorization }) => `${method} ${path} ${authorization ?? '-'}`),
    [
      'POST /api/v1/auth/login -',
      'GET /api/v1/users/me Bearer access-1',
      'PATCH /api/v1/users/me Bearer access-1',
      'GET /api/v1/users/me Bearer access-1',
      'POST /api/v1/auth/refresh -',
      'POST /api/v1/auth/logout -',
      'POST /api/v1/auth/login -',
    ],
  );
  t.deepEqual(JSON.parse(api.seen[4]?.body ?? ''), { refreshToken: 'refresh-1' });
  t.deepEqual(JSON.parse(api.seen[5]?.body ?? ''), { refreshToken: 'refresh-2' });
  t.true(api.seen.every(({ forwardedFor, socket }) => forwardedFor === '10.1.2.3' && socket === 0));
});

test('a failed step ends the session: the next request signs in again', async (t) => {
  const api = await standIn((index) => index === 2);
  t.teardown(api.close);
  const samples = await runUntil(api.origin, 5);

  t.deepEqual(
    samples.map(({ step, status }) => `${step} ${status}`),
    ['login 200', 'me 200', 'update profile 503', 'login 200', 'me 200'],
  );
});

test('a 2xx without the pair a step needs is a failure, unless the target is the baseline', async (t) => {
  const pairless = await standIn(() => false, false);
  t.teardown(pairless.close);
  const samples = await runUntil(pairless.origin, 2);
  t.deepEqual(
    samples.map(({ step, status, error }) => `${step} ${status} ${error ?? 'ok'}`),
    ['login 200 login answered without a token pair', 'login 200 login answered without a token pair'],
  );

  const baseline = await runUntil(pairless.origin, 3, false);
  t.true(baseline.every((sample) => sample.status === 200 && sample.error === undefined));
});

test('an unreachable server is a failure without a status', async (t) => {
  const api = await standIn(() => false);
  await api.close();
  const [unreachable] = await runUntil(api.origin, 1);
  t.is(unreachable?.status, undefined);
  t.regex(unreachable?.error ?? '', /ECONNREFUSED/);
});
