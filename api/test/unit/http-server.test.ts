import { connect } from 'node:net';
import test from 'ava';
import { listen, SERVER_TIMEOUTS } from '../../src/http-server.js';

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
  const answer = await new Promise<string>((resolve) => {
    let received = '';
    socket.on('data', (chunk) => {
      received += chunk;
    });
    socket.on('close', () => resolve(received));
  });
  t.regex(answer, /^HTTP\/1\.1 408/);
  t.true(Date.now() - started < 3_000);
  server.close();
});
