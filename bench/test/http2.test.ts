import test from 'ava';
import type { Http2Scenario } from '../http2/closed-loop.js';
import { erroredRequests, h2loadArguments, parseH2loadLog } from '../http2/h2load.js';
import { streamsPerSession } from '../http2/plan.js';
import { h2cVersusHttp1, type ProtocolComparison, renderComparison } from '../http2/report.js';
import { summarize } from '../http2/summary.js';
import type { Measurement } from '../load.js';

test('requests in flight spread evenly over the sessions, or not at all', (t) => {
  t.is(streamsPerSession(100, 4), 25);
  t.is(streamsPerSession(1, 1), 1);
  t.throws(() => streamsPerSession(10, 3), {
    message: /10 requests in flight do not spread evenly over 3 sessions/,
  });
});

const scenario: Http2Scenario = {
  name: 'GET /api/v1/users/me (h2c)',
  origin: 'http://127.0.0.1:3000',
  path: '/api/v1/users/me',
  headers: { authorization: 'Bearer token' },
  concurrency: 100,
  sessions: 4,
};

test('h2load runs HTTP/1.1 on a connection per request, and h2c on the sessions', (t) => {
  t.deepEqual(h2loadArguments(scenario, 'http1', 10), [
    '--h1',
    '-c',
    '100',
    '-m',
    '1',
    '-D',
    '10',
    '-H',
    'authorization: Bearer token',
    'http://127.0.0.1:3000/api/v1/users/me',
  ]);
  t.deepEqual(h2loadArguments({ ...scenario, headers: {} }, 'h2c', 2, 'requests.tsv'), [
    '-c',
    '4',
    '-m',
    '25',
    '-D',
    '2',
    '--log-file=requests.tsv',
    'http://127.0.0.1:3000/api/v1/users/me',
  ]);
});

test("h2load's request log gives each answer's status and time; its summary the requests without one", (t) => {
  const log = '1796682555896638\t200\t15915\n1796682555896700\t404\t250\n\n';
  t.deepEqual(parseH2loadLog(log), { latenciesMs: [15.915, 0.25], statuses: [200, 404] });
  const summary =
    'finished in 2.00s, 23390.00 req/s, 708.23KB/s\n' +
    'requests: 46780 total, 46790 started, 46780 done, 23391 succeeded, 23389 failed, 7 errored, 0 timeout\n';
  t.is(erroredRequests(summary), 7);
  t.throws(() => erroredRequests('Segmentation fault'), { message: /printed no request counts/ });
});

test('a closed-loop run is summarised as autocannon runs are', (t) => {
  const latenciesMs = Array.from({ length: 100 }, (_, index) => index + 1);
  const statuses = [...Array.from({ length: 98 }, () => 200), 404, 503];
  const measurement = summarize('GET /x (h2c)', 4, { latenciesMs, statuses, errors: 3, elapsedMs: 2_000 });
  t.deepEqual(measurement, {
    name: 'GET /x (h2c)',
    connections: 4,
    requestsPerSecond: 50,
    latencyMs: { p50: 50, p95: 95, p99: 99 },
    errors: 3,
    timeouts: 0,
    non2xx: 2,
    statusCodes: { '200': 98, '404': 1, '503': 1 },
  });
});

const measurement = (
  name: string,
  connections: number,
  requestsPerSecond: number,
  p99: number,
): Measurement => ({
  name,
  connections,
  requestsPerSecond,
  latencyMs: { p50: p99 / 4, p95: p99 / 2, p99 },
  errors: 0,
  timeouts: 0,
  non2xx: 0,
  statusCodes: { '200': 1000 },
});

const comparison: ProtocolComparison = {
  route: 'GET /health/live',
  concurrency: 100,
  clients: { http1: 'h2load --h1', h2c: 'h2load' },
  http1: measurement('GET /health/live (HTTP/1.1)', 100, 4_000, 40),
  h2c: measurement('GET /health/live (h2c)', 4, 5_000, 30),
};

test('h2c is divided by HTTP/1.1: above 1 is more throughput, below 1 a shorter tail', (t) => {
  t.deepEqual(h2cVersusHttp1(comparison), { requestsPerSecond: 1.25, p99: 0.75 });
});

test('the table has one row per protocol, the ratios on the h2c row, and names the machine', (t) => {
  const markdown = renderComparison([comparison], {
    durationSeconds: 10,
    warmupSeconds: 2,
    machine: 'Test CPU, 2 cores, Node v20.20.2',
    notes: ['a note'],
  });
  const rows = markdown.split('\n').filter((line) => line.startsWith('| GET'));
  t.deepEqual(rows, [
    '| GET /health/live | HTTP/1.1 | h2load --h1 | 100 | 100 | 4000 | 10.00 | 20.00 | 40.00 | 0 | 0 | — | — |',
    '| GET /health/live | h2c | h2load | 100 | 4 | 5000 | 7.50 | 15.00 | 30.00 | 0 | 0 | 1.250× | 0.750× |',
  ]);
  t.regex(markdown, /Measured on Test CPU, 2 cores, Node v20\.20\.2/);
  t.regex(markdown, /Note: a note/);
});
