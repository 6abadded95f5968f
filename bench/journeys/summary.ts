import { percentile } from '../../api/test/support/latencies.js';
import { STEPS, type Step } from './journey.js';
import { type Sample, succeeded } from './virtual-user.js';

export interface LatencySummary {
  requests: number;
  failed: number;
  p50: number;
  p95: number;
  p99: number;
}

export interface LevelSummary {
  users: number;
  requestsPerSecond: number;
  errorRate: number;
  overall: LatencySummary;
  steps: Record<Step, LatencySummary>;
  /** Answers by status code, and failures without one by their reason. */
  outcomes: Record<string, number>;
}

export interface Window {
  start: number;
  end: number;
}

function latency(samples: Sample[]): LatencySummary {
  const times = samples.map((sample) => sample.ms);
  return {
    requests: samples.length,
    failed: samples.filter((sample) => !succeeded(sample)).length,
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    p99: percentile(times, 99),
  };
}

/**
 * The requests sent inside the measurement window. Percentiles are over every one of them, failed
 * ones included: a failure took that long for its user too.
 */
export function summarize(users: number, samples: Sample[], window: Window): LevelSummary {
  const measured = samples.filter(
    (sample) => sample.startedAt >= window.start && sample.startedAt < window.end,
  );
  const overall = latency(measured);
  const outcomes: Record<string, number> = {};
  for (const sample of measured) {
    const outcome = sample.error ?? String(sample.status);
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  }
  return {
    users,
    requestsPerSecond: measured.length / ((window.end - window.start) / 1000),
    errorRate: overall.requests === 0 ? 0 : overall.failed / overall.requests,
    overall,
    steps: Object.fromEntries(
      STEPS.map((step) => [step, latency(measured.filter((sample) => sample.step === step))]),
    ) as Record<Step, LatencySummary>,
    outcomes,
  };
}
