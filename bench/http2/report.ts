import type { Measurement } from '../load.js';
import { ms, type RunContext, times } from '../report.js';

/** One route measured over both protocols at the same number of requests in flight. */
export interface ProtocolComparison {
  route: string;
  concurrency: number;
  /** The load generator of each run. */
  clients: { http1: string; h2c: string };
  http1: Measurement;
  h2c: Measurement;
}

export interface Http2BenchContext extends RunContext {
  /** CPU model, cores and Node version: the figures mean little without them. */
  machine: string;
}

export const h2cVersusHttp1 = ({ http1, h2c }: ProtocolComparison) => ({
  requestsPerSecond: h2c.requestsPerSecond / http1.requestsPerSecond,
  p99: h2c.latencyMs.p99 / http1.latencyMs.p99,
});

function row(cells: (string | number)[]): string {
  return `| ${cells.join(' | ')} |`;
}

function measuredCells(m: Measurement): (string | number)[] {
  const { p50, p95, p99 } = m.latencyMs;
  return [m.connections, Math.round(m.requestsPerSecond), ms(p50), ms(p95), ms(p99), m.errors, m.non2xx];
}

export function renderComparison(comparisons: ProtocolComparison[], context: Http2BenchContext): string {
  const lines = [
    '| Route | Protocol | Client | In flight | Connections | Req/s | p50 ms | p95 ms | p99 ms | Errors | Non-2xx | Req/s h2c ÷ HTTP/1.1 | p99 h2c ÷ HTTP/1.1 |',
    '|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const comparison of comparisons) {
    const { route, concurrency, clients, http1, h2c } = comparison;
    const ratio = h2cVersusHttp1(comparison);
    lines.push(
      row([route, 'HTTP/1.1', clients.http1, concurrency, ...measuredCells(http1), '—', '—']),
      row([
        route,
        'h2c',
        clients.h2c,
        concurrency,
        ...measuredCells(h2c),
        times(ratio.requestsPerSecond),
        times(ratio.p99),
      ]),
    );
  }
  return [
    ...lines,
    '',
    `Measured on ${context.machine}; the load generator, both API processes and PostgreSQL share it.`,
    `${context.durationSeconds} s per run after a ${context.warmupSeconds} s warm-up, HTTP/1.1 first, then h2c.`,
    'Every run is a closed loop with the same requests in flight: over HTTP/1.1 one connection per request, over h2c',
    'the streams spread over the sessions. Percentiles are nearest-rank over every answer of the measured run.',
    'h2load drives both protocols with one client, so its pair compares the server alone; node:http2 costs the',
    'client far more CPU per request than autocannon does, and on shared cores that CPU is taken from the server.',
    ...context.notes.map((note) => `Note: ${note}`),
    '',
  ].join('\n');
}
