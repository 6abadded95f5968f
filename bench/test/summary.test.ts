import test from 'ava';
import { summarize } from '../journeys/summary.js';
import type { Sample } from '../journeys/virtual-user.js';

const sample = (startedAt: number, ms: number, outcome: Partial<Sample> = { status: 200 }): Sample => ({
  step: 'me',
  startedAt,
  ms,
  ...outcome,
});

test('only requests sent inside the window count, failed ones included in the percentiles', (t) => {
  const samples: Sample[] = [
    sample(500, 1_000),
    ...Array.from({ length: 97 }, (_, index) => sample(1_000 + index, index + 1)),
    sample(1_100, 500, { status: 503 }),
    sample(1_200, 10_000, { error: 'timeout' }),
    sample(1_300, 2, { status: 200, error: 'refresh answered without a token pair' }),
    sample(3_000, 1_000),
  ];
  const summary = summarize(100, samples, { start: 1_000, end: 3_000 });

  t.is(summary.overall.requests, 100);
  t.is(summary.overall.failed, 3);
  t.is(summary.errorRate, 0.03);
  t.is(summary.requestsPerSecond, 50);
  t.is(summary.overall.p50, 49);
  t.is(summary.overall.p95, 94);
  t.is(summary.overall.p99, 500);
  t.is(summary.steps.me.requests, 100);
  t.is(summary.steps.login.requests, 0);
  t.true(Number.isNaN(summary.steps.login.p95));
  t.deepEqual(summary.outcomes, {
    '200': 97,
    '503': 1,
    timeout: 1,
    'refresh answered without a token pair': 1,
  });
});

test('a window with no requests has no errors rather than a division by zero', (t) => {
  const summary = summarize(10, [], { start: 0, end: 1_000 });
  t.is(summary.errorRate, 0);
  t.is(summary.requestsPerSecond, 0);
});
