import { readFileSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { apiOnFreshDatabase } from '../support/api-server.js';
import { openSession, send } from '../support/http2-client.js';
import { runScript } from '../support/processes.js';
import { receivedUntilClose } from '../support/raw-socket.js';

const certFile = fileURLToPath(new URL('../support/tls/cert.pem', import.meta.url));
const keyFile = fileURLToPath(new URL('../support/tls/key.pem', import.meta.url));
/** The test certificate is self-signed: the clients trust it as their CA. */
const ca = readFileSync(certFile);

const suite = apiOnFreshDatabase({ TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile });

interface Http1Answer {
  httpVersion: string;
  alpnProtocol: string | false | null;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response bodies.
  body: any;
}

/** A GET over HTTPS/1.1 from a client that offers the given ALPN protocols (none: no ALPN at all). */
function http1Get(path: string, ALPNProtocols?: string[]): Promise<Http1Answer> {
  return new Promise((resolve, reject) => {
    const agent = new Agent({ ca, ALPNProtocols });
    const request = httpsRequest(`${suite.api.baseUrl}${path}`, { agent }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () =>
        resolve({
          httpVersion: response.httpVersion,
          alpnProtocol: (response.socket as TLSSocket).alpnProtocol,
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: JSON.parse(text),
        }),
      );
    });
    request.on('error', reject);
    request.end();
  });
}

test('TLS: a client offering h2 gets HTTP/2, with JSend answers and the security headers', async (t) => {
  t.regex(suite.api.baseUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
  const session = await openSession(suite.api.baseUrl, { ca });
  t.is(session.alpnProtocol, 'h2');
  const live = await send(session, 'GET', '/health/live');
  t.like(live, { status: 200, body: { status: 'success' } });
  t.is(live.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
  t.like(await send(session, 'GET', '/nowhere'), { status: 404, body: { code: 'route.not_found' } });
  session.close();
});

test('the same TLS port speaks HTTP/1.1 to a client that offers only http/1.1, or no ALPN at all', async (t) => {
  for (const offered of [['http/1.1'], undefined]) {
    const answer = await http1Get('/health/live', offered);
    t.like(answer, { httpVersion: '1.1', status: 200, body: { status: 'success' } }, String(offered));
    t.is(answer.alpnProtocol, offered ? 'http/1.1' : false);
    t.is(answer.headers['x-content-type-options'], 'nosniff');
  }
});

test('HTTP/1.1 on the TLS port keeps the JSend answer to a request that is not HTTP', async (t) => {
  const { port } = new URL(suite.api.baseUrl);
  const socket = connectTls({ host: '127.0.0.1', port: Number(port), ca, ALPNProtocols: ['http/1.1'] });
  socket.write('NOT HTTP AT ALL\r\n\r\n');
  const answer = await receivedUntilClose(socket);
  t.regex(answer, /^HTTP\/1\.1 400 /);
  t.like(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)), {
    status: 'fail',
    code: 'request.malformed',
  });
});

test('a TLS setting without its pair, or a file that cannot be read, stops start-up with a message', async (t) => {
  const halfPair = await runScript('src/main.ts', [], { TLS_CERT_FILE: certFile });
  t.is(halfPair.code, 1);
  t.regex(halfPair.stderr, /TLS_KEY_FILE: is required with TLS_CERT_FILE/);
  t.notRegex(halfPair.stderr, /\n\s+at /);

  const unreadable = await runScript('src/main.ts', [], {
    TLS_CERT_FILE: `${certFile}.absent`,
    TLS_KEY_FILE: keyFile,
  });
  t.is(unreadable.code, 1);
  t.regex(unreadable.stderr, /TLS_CERT_FILE: cannot read .*cert\.pem\.absent: ENOENT/);
  t.notRegex(unreadable.stderr, /\n\s+at /);
});
