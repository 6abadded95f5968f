import type { ServerResponse } from 'node:http';
import { constants, type Http2ServerResponse } from 'node:http2';
import { connect as connectTcp } from 'node:net';
import test from 'ava';
import { type DualHandler, HTTP2_LIMITS, type Http2Listener, listenHttp2 } from '../../src/http2-server.js';
import { goawayOf, openSession, send } from '../support/http2-client.js';
import { receivedUntilClose } from '../support/raw-socket.js';

/** Limits short enough for a test; the rest as in production. */
const SHORT = {
  ...HTTP2_LIMITS,
  firstRequestTimeout: 300,
  streamTimeout: 300,
  idleTimeout: 400,
};

const answerOk: DualHandler = (_request, response) => (response as ServerResponse).end('ok');

async function h2c(handler: DualHandler, limits = SHORT): Promise<Http2Listener & { url: string }> {
  const listener = await listenHttp2(handler, '127.0.0.1', 0, undefined, limits);
  const { port } = listener.server.address() as { port: number };
  return { ...listener, url: `http://127.0.0.1:${port}` };
}

const closed = (emitter: { once(event: 'close', listener: () => void): unknown }) =>
  new Promise<void>((resolve) => emitter.once('close', () => resolve()));

test('the session declares the stream cap and the header-list limit', async (t) => {
  const server = await h2c(answerOk);
  const session = await openSession(server.url);
  t.like(session.remoteSettings, { maxConcurrentStreams: 100, maxHeaderListSize: 16_384 });
  session.close();
  await server.close(0);
});

test('a stream whose body stalls past the deadline is answered 408 in the JSend shape', async (t) => {
  const server = await h2c((request, response) => {
    request.resume();
    request.on('end', () => (response as ServerResponse).end('read it all'));
  });
  const session = await openSession(server.url);
  const stream = session.request({ ':method': 'POST', ':path': '/' });
  // A slowloris body: one byte, then nothing.
  stream.write('{');
  const answer = await new Promise<{ status: unknown; body: string }>((resolve) => {
    let status: unknown;
    let body = '';
    stream.on('response', (headers) => {
      status = headers[':status'];
    });
    stream.on('data', (chunk) => {
      body += chunk;
    });
    stream.on('close', () => resolve({ status, body }));
  });
  t.is(answer.status, 408);
  t.like(JSON.parse(answer.body), { status: 'fail', code: 'request.timeout' });
  t.is(stream.rstCode, constants.NGHTTP2_NO_ERROR, 'ended without an error: the answer was complete');
  session.close();
  await server.close(0);
});

test('a stream whose answer has begun but not ended by the deadline is cancelled', async (t) => {
  const server = await h2c((_request, response) => {
    (response as Http2ServerResponse).writeHead(200).write('the first half');
  });
  const session = await openSession(server.url);
  const stream = session.request({ ':path': '/' }, { endStream: true });
  stream.resume();
  stream.on('error', () => {});
  await closed(stream);
  t.is(stream.rstCode, constants.NGHTTP2_CANCEL);
  session.close();
  await server.close(0);
});

test('a session that opens no stream in time is sent GOAWAY and closed', async (t) => {
  const server = await h2c(answerOk);
  const session = await openSession(server.url);
  const goaway = goawayOf(session);
  await closed(session);
  t.is((await goaway).code, constants.NGHTTP2_NO_ERROR);
  await server.close(0);
});

test('an idle session is sent GOAWAY and closed', async (t) => {
  const server = await h2c(answerOk);
  const session = await openSession(server.url);
  t.is((await send(session, 'GET', '/')).text, 'ok');
  const goaway = goawayOf(session);
  await closed(session);
  t.like(await goaway, { code: constants.NGHTTP2_NO_ERROR, lastStreamId: 1 });
  await server.close(0);
});

test('closing answers the streams in flight, sends GOAWAY, and cuts what is left at the deadline', async (t) => {
  const server = await h2c(
    (request, response) => {
      // '/stuck' is never answered; '/slow' is answered after the close has begun.
      if (request.url === '/slow') setTimeout(() => (response as ServerResponse).end('slow but done'), 100);
    },
    { ...SHORT, streamTimeout: 60_000 },
  );
  const session = await openSession(server.url);
  const goaway = goawayOf(session);
  const slow = send(session, 'GET', '/slow');
  const stuck = send(session, 'GET', '/stuck');
  const idle = await openSession(server.url);
  const idleClosed = closed(idle);
  // Both streams have reached the server before it closes.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const closing = server.close(500);
  t.is((await slow).text, 'slow but done');
  t.is((await goaway).code, constants.NGHTTP2_NO_ERROR);
  await idleClosed;
  await t.throwsAsync(stuck);
  await closing;
  t.pass('the server closed at the deadline');
});

test('the h2c port answers HTTP/1.1 too, with the HTTP/1 server and its refusals', async (t) => {
  const server = await h2c(answerOk);
  t.is(await (await fetch(`${server.url}/`)).text(), 'ok');
  const { port } = server.server.address() as { port: number };
  const socket = connectTcp(port, '127.0.0.1');
  socket.write('NOT HTTP AT ALL\r\n\r\n');
  const answer = await receivedUntilClose(socket);
  t.regex(answer, /^HTTP\/1\.1 400 /);
  t.regex(answer, /"code":"request\.malformed"/);
  await server.close(0);
});

test('a connection on the h2c port that never says which protocol it speaks is cut off', async (t) => {
  const server = await h2c(answerOk);
  const { port } = server.server.address() as { port: number };
  const socket = connectTcp(port, '127.0.0.1');
  // The first bytes of the HTTP/2 preface, and then nothing.
  socket.write('PRI * HTTP/2');
  t.is(await receivedUntilClose(socket), '');
  await server.close(0);
});
