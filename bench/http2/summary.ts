import { percentile } from '../../api/test/support/latencies.js';
import type { Measurement } from '../load.js';

/** What one closed-loop run saw: each answer's time and status, and the requests that got none. */
export interface ClosedLoopSamples {
  latenciesMs: number[];
  statuses: number[];
  /** Requests that ended without an answer (a reset stream, a broken session). */
  errors: number;
  elapsedMs: number;
}

/** The run in the shape autocannon's runs are reported in, so the two sit in one table. */
export function summarize(name: string, connections: number, samples: ClosedLoopSamples): Measurement {
  const statusCodes: Record<string, number> = {};
  for (const status of samples.statuses) statusCodes[status] = (statusCodes[status] ?? 0) + 1;
  return {
    name,
    connections,
    requestsPerSecond: samples.latenciesMs.length / (samples.elapsedMs / 1000),
    latencyMs: {
      p50: percentile(samples.latenciesMs, 50),
      p95: percentile(samples.latenciesMs, 95),
      p99: percentile(samples.latenciesMs, 99),
    },
    errors: samples.errors,
    timeouts: 0,
    non2xx: samples.statuses.filter((status) => status < 200 || status > 299).length,
    statusCodes,
  };
}
