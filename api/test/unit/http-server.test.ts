import { connect } from 'node:net';
import test from 'ava';
import { listen, SERVER_TIMEOUTS } from '../../src/http-server.js';
import { receivedUntilClose } from '../support/raw-socket.js';

test('a client that never finishes its headers is answered 408 and cut off', async (t) => {
  const server = await listen((_request, response) => response.end('ok'), '127.0.0.1', 0, {
    ...SERVER_TIMEOUTS,
    headersTimeout: 300,
    requestTimeout: 600,
    connectionsCheckingInterval: 100,
  });
  const { port } = server.address() as { port: number };
  const socket = connect(port, '127.0.0.1');
  // A slowloris client: the request line and one header, then nothing.
  socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n');
  const started = Date.now();
  const answer = await receivedUntilClose(socket);
  t.regex(answer, /^HTTP\/1\.1 408/);
  t.like(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)), { code: 'request.timeout' });
  t.true(Date.now() - started < 3_000);
  server.close();
});

/** Sends raw bytes to a server from `listen` and reads the answer until the server closes. */
async function rawExchange(bytes: string): Promise<string> {
  const server = await listen((_request, response) => response.end('ok'), '127.0.0.1', 0);
  const { port } = server.address() as { port: number };
  const socket = connect(port, '127.0.0.1');
  socket.write(bytes);
  const answer = await receivedUntilClose(socket);
  server.close();
  return answer;
}

const bodyOf = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));

test('a URL or headers over 16 KiB are a 431 in the JSend shape, with a request id', async (t) => {
  const answer = await rawExchange(`GET /?q=${'x'.repeat(20_000)} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
  t.regex(answer, /^HTTP\/1\.1 431 /);
  t.regex(answer, /\r\nContent-Type: application\/json/);
  t.like(bodyOf(answer), { status: 'fail', code: 'request.headers_too_large' });
  t.regex(bodyOf(answer).requestId, /^[0-9a-f-]{36}$/);
});

test('a request that is not HTTP is a 400 in the JSend shape', async (t) => {
  const answer = await rawExchange('NOT HTTP AT ALL\r\n\r\n');
  t.regex(answer, /^HTTP\/1\.1 400 /);
  t.like(bodyOf(answer), { status: 'fail', code: 'request.malformed' });
});
