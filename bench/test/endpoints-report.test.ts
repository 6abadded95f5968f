import { readFile } from 'node:fs/promises';
import test from 'ava';
import { ENDPOINTS_REPORT_FILES, type EndpointsReport, renderEndpointsReport } from '../endpoints-report.js';
import { STEPS } from '../journeys/journey.js';
import type { Measurement } from '../load.js';
import { TEST_MACHINE } from './test-machine.js';

const measurement = (
  name: string,
  connections: number,
  statusCodes: Record<string, number>,
): Measurement => ({
  name,
  connections,
  requestsPerSecond: 100,
  latencyMs: { p50: 1, p95: 2, p99: 3 },
  errors: 0,
  timeouts: 0,
  non2xx: 0,
  statusCodes,
  latencyByStatus: { '200': { p50: 400, p95: 500, p99: 600 }, '503': { p50: 5, p95: 8, p99: 9 } },
});

const latency = { requests: 10, failed: 0, p50: 10, p95: 20, p99: 30 };

const report: EndpointsReport = {
  generatedAt: '2026-12-07T23:00:00.000Z',
  machine: TEST_MACHINE,
  context: { durationSeconds: 10, warmupSeconds: 2, notes: [] },
  goals: [{ name: 'a goal', figure: '1 ms', target: '< 2 ms', pass: true }],
  rows: [{ measurement: measurement('bare Koa hello', 100, { '200': 1000 }) }],
  storm: measurement('storm', 1000, { '200': 1200, '503': 30_000 }),
  argon2: { perSecond: 170, workers: 2 },
  journey: {
    users: 1200,
    requestsPerSecond: 1010,
    errorRate: 0,
    overall: latency,
    steps: Object.fromEntries(STEPS.map((step) => [step, latency])) as EndpointsReport['journey']['steps'],
    outcomes: { '200': 30_300 },
  },
  coldStarts: { postgresMs: 640, pgliteFirstMs: 4200, pgliteMs: 1500, runs: 3 },
};

test('the report names its machine, then the goals, the storm, the journey and the cold starts', (t) => {
  const markdown = renderEndpointsReport(report);
  t.regex(
    markdown,
    /on Test CPU, 2 cores, 24 GiB, Linux 6\.1, Node v20\.20\.2, PostgreSQL 15\.20, Redis 7\.0\.15/,
  );
  t.regex(markdown, /\| a goal \| 1 ms \| < 2 ms \| pass \|/);
  t.regex(markdown, /120 successful logins a second, 0\.71× the 170 argon2id verifications a second/);
  t.regex(markdown, /3000 a second were refused at once/);
  t.regex(markdown, /an accepted login waited p50 400 ms, p99 600 ms/);
  t.regex(markdown, /1010 requests a second; p50 10 ms, p95 20 ms/);
  t.regex(markdown, /PostgreSQL in production mode 640 ms; PGlite 1500 ms, its very first start .* 4200 ms/);
  t.regex(markdown, /\| bare Koa hello \| 100 \|/);
});

const committed = (file: string) => readFile(new URL(`../report/${file}`, import.meta.url), 'utf8');

test('the committed report holds every goal, and its Markdown matches its figures', async (t) => {
  const measured = JSON.parse(await committed(ENDPOINTS_REPORT_FILES.json)) as EndpointsReport;
  t.true(measured.goals.length >= 13, 'every goal of the performance issue');
  t.truthy(measured.machine.cpu);
  t.is(
    await committed(ENDPOINTS_REPORT_FILES.markdown),
    renderEndpointsReport(measured),
    'stale: re-run npm run bench:endpoints',
  );
});
