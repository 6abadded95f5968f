import { connect } from 'node:net';
import test from 'ava';
import { apiOnFreshDatabase } from '../support/api-server.js';
import { eventually } from '../support/eventually.js';
import { collectLogLines } from '../support/log-lines.js';

const logs = collectLogLines();
const suite = apiOnFreshDatabase({ LOG_LEVEL: 'warn' }, { logDestination: logs.destination });

/** Writes `raw` on a fresh connection and answers what came back before the server closed it. */
function exchange(raw: string): Promise<string> {
  const { hostname, port } = new URL(suite.api.baseUrl);
  const socket = connect(Number(port), hostname);
  let answer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    answer += chunk;
  });
  socket.write(raw);
  return new Promise((resolve) => socket.on('close', () => resolve(answer)));
}

test('a connection that breaks after its request is logged as one structured line, not printed to stderr', async (t) => {
  // Data after `Connection: close` is a framing error the HTTP parser meets once the request is in Koa's hands.
  const answer = await exchange('GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n{"a":1}');
  t.regex(answer, /^HTTP\/1\.1 400 /);
  const line = await eventually(
    () => logs.parsed().find((entry) => entry.msg === 'connection failed outside the middleware chain'),
    'the log line',
  );
  t.is(line.level, 40);
  t.regex(line.err?.message ?? '', /Parse Error/);
});
