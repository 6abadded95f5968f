import autocannon from 'autocannon';
import { percentile } from '../api/test/support/latencies.js';

export interface Scenario {
  name: string;
  url: string;
  connections: number;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

export interface Timing {
  durationSeconds: number;
  warmupSeconds: number;
}

export interface Measurement {
  name: string;
  connections: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p95: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  /** Latency percentiles of the answers with each status code: a refusal and a success differ. */
  latencyByStatus?: Record<string, { p50: number; p95: number; p99: number }>;
}

const percentiles = (times: readonly number[]) => ({
  p50: percentile(times, 50),
  p95: percentile(times, 95),
  p99: percentile(times, 99),
});

/**
 * `settle` runs between the warm-up and the measured run: requests the warm-up abandoned are still
 * queued on the server (logins waiting for a hashing slot), and would be counted against the run.
 */
export async function measure(
  scenario: Scenario,
  timing: Timing,
  settle: () => Promise<void> = async () => {},
): Promise<Measurement> {
  const { name, connections, ...request } = scenario;
  // A separate warm-up run rather than autocannon's `warmup` option: with that option, requests
  // of the measured run stalled for seconds (about 4 % of them at 1000 connections) where two
  // back-to-back runs showed no such tail.
  await autocannon({ ...request, connections, duration: timing.warmupSeconds });
  await settle();
  const instance = autocannon({ ...request, connections, duration: timing.durationSeconds });
  // autocannon's summary has no p95 and rounds to whole milliseconds, so every response time of the
  // measured run is kept and all three percentiles come from the same samples.
  const times: number[] = [];
  const timesByStatus = new Map<number, number[]>();
  instance.on('response', (_client, status, _bytes, responseTimeMs) => {
    times.push(responseTimeMs);
    const ofStatus = timesByStatus.get(status) ?? [];
    ofStatus.push(responseTimeMs);
    timesByStatus.set(status, ofStatus);
  });
  const result = await instance;
  return {
    name,
    connections,
    requestsPerSecond: result.requests.average,
    latencyMs: percentiles(times),
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statusCodes: Object.fromEntries(
      Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]),
    ),
    latencyByStatus: Object.fromEntries(
      [...timesByStatus].map(([status, statusTimes]) => [String(status), percentiles(statusTimes)]),
    ),
  };
}
