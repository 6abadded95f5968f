import { readFile } from 'node:fs/promises';
import test from 'ava';
import { STEPS, type Step, sessionPlan } from '../journeys/journey.js';
import {
  type LoadReport,
  meetsTarget,
  REPORT_FILES,
  renderLoadChart,
  renderLoadMarkdown,
} from '../journeys/report.js';
import type { LatencySummary, LevelSummary } from '../journeys/summary.js';
import { TEST_MACHINE } from './test-machine.js';

const latency = (p95: number): LatencySummary => ({
  requests: 1000,
  failed: 0,
  p50: p95 / 4,
  p95,
  p99: p95 * 2,
});

const level = (users: number, p95: number, errorRate: number, requestsPerSecond: number): LevelSummary => ({
  users,
  requestsPerSecond,
  errorRate,
  overall: latency(p95),
  steps: Object.fromEntries(STEPS.map((step) => [step, latency(p95)])) as Record<Step, LatencySummary>,
  outcomes: { '200': 999, '503': 1 },
});

const report = {
  generatedAt: '2026-11-25T19:00:00.000Z',
  machine: TEST_MACHINE,
  settings: {
    rampSeconds: 20,
    durationSeconds: 60,
    meanThinkTimeMs: 1000,
    sessionRounds: 5,
    session: sessionPlan(5),
    api: { NODE_ENV: 'production' },
  },
  levels: [
    { users: 100, api: level(100, 20, 0, 95), bare: level(100, 2, 0, 100) },
    { users: 1000, api: level(1000, 250, 0.002, 800), bare: level(1000, 5, 0, 1000) },
  ],
};

test('the target is p95 under 200 ms and fewer than one error in a thousand', (t) => {
  t.true(meetsTarget(level(1, 199.9, 0.000_9, 1)));
  t.false(meetsTarget(level(1, 200, 0, 1)));
  t.false(meetsTarget(level(1, 10, 0.001, 1)));
});

test('the report states its machine and settings, each level against the target, and the ratios to bare Koa', (t) => {
  const markdown = renderLoadMarkdown(report, 'chart.svg');
  t.regex(
    markdown,
    /on Test CPU, 2 cores, 24 GiB, Linux 6\.1; Node v20\.20\.2, PostgreSQL 15\.20, Redis 7\.0\.15/,
  );
  t.regex(markdown, /\| 100 \| 95 \| 5\.0 \| 20\.0 \| 40\.0 \| 0\.00 % \| yes \| 0\.95× \| 10\.00× \|/);
  t.regex(
    markdown,
    /\| 1000 \| 800 \| 62\.5 \| 250\.0 \| 500\.0 \| 0\.20 % \| \*\*no\*\* \| 0\.80× \| 50\.00× \|/,
  );
  t.regex(markdown, /!\[Latency against concurrent users\]\(chart\.svg\)/);
  t.regex(markdown, /login, then 5 × \(me, update profile, me, refresh\), then logout/);
  t.regex(markdown, /between 500 and 1500 ms/);
  t.regex(markdown, /- 1000 users: API 999 × 200, 1 × 503; bare Koa 999 × 200, 1 × 503/);
  t.regex(markdown, /`NODE_ENV=production`/);
});

const committed = (file: string) => readFile(new URL(`../report/${file}`, import.meta.url), 'utf8');

test('the committed report covers 100, 500 and 1000 users, and its Markdown and chart match its figures', async (t) => {
  const measured = JSON.parse(await committed(REPORT_FILES.json)) as LoadReport;
  t.deepEqual(
    measured.levels.map(({ users }) => users),
    [100, 500, 1000],
  );
  t.is(await committed(REPORT_FILES.markdown), renderLoadMarkdown(measured), 'stale: re-run npm run bench');
  t.is(await committed(REPORT_FILES.chart), renderLoadChart(measured), 'stale: re-run npm run bench');
});
