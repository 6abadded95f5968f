import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Measurement, Timing } from '../load.js';
import type { Http2Scenario } from './closed-loop.js';
import { streamsPerSession } from './plan.js';
import { summarize } from './summary.js';

const run = promisify(execFile);

export type Protocol = 'http1' | 'h2c';

/**
 * h2load's arguments for a closed loop of `concurrency` requests in flight: over HTTP/1.1 one
 * connection per request, over h2c the streams spread over `sessions` connections.
 */
export function h2loadArguments(
  scenario: Http2Scenario,
  protocol: Protocol,
  seconds: number,
  logFile?: string,
): string[] {
  const layout =
    protocol === 'http1'
      ? ['--h1', '-c', String(scenario.concurrency), '-m', '1']
      : [
          '-c',
          String(scenario.sessions),
          '-m',
          String(streamsPerSession(scenario.concurrency, scenario.sessions)),
        ];
  return [
    ...layout,
    '-D',
    String(seconds),
    ...Object.entries(scenario.headers ?? {}).flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
    ...(logFile ? [`--log-file=${logFile}`] : []),
    `${scenario.origin}${scenario.path}`,
  ];
}

/** h2load's per-request log: start (µs since the epoch), status, and microseconds to the end of the answer. */
export function parseH2loadLog(text: string): { latenciesMs: number[]; statuses: number[] } {
  const latenciesMs: number[] = [];
  const statuses: number[] = [];
  for (const line of text.split('\n')) {
    const [, status, micros] = line.split('\t');
    if (status === undefined || micros === undefined) continue;
    statuses.push(Number(status));
    latenciesMs.push(Number(micros) / 1000);
  }
  return { latenciesMs, statuses };
}

/** Requests that got no answer at all ("errored"); h2load counts non-2xx answers apart. */
export function erroredRequests(summary: string): number {
  const errored = /(\d+) errored/.exec(summary)?.[1];
  if (errored === undefined) throw new Error(`h2load printed no request counts:\n${summary}`);
  return Number(errored);
}

export async function h2loadAvailable(): Promise<boolean> {
  return run('h2load', ['--version']).then(
    () => true,
    () => false,
  );
}

/** Like `measure` for autocannon: a warm-up run, then the measured one, with h2load as the client. */
export async function measureWithH2load(
  scenario: Http2Scenario,
  protocol: Protocol,
  timing: Timing,
): Promise<Measurement> {
  await run('h2load', h2loadArguments(scenario, protocol, timing.warmupSeconds));
  const folder = await mkdtemp(join(tmpdir(), 'skeleton-h2load-'));
  try {
    const logFile = join(folder, 'requests.tsv');
    const { stdout } = await run(
      'h2load',
      h2loadArguments(scenario, protocol, timing.durationSeconds, logFile),
    );
    const connections = protocol === 'http1' ? scenario.concurrency : scenario.sessions;
    return summarize(scenario.name, connections, {
      ...parseH2loadLog(await readFile(logFile, 'utf8')),
      errors: erroredRequests(stdout),
      elapsedMs: timing.durationSeconds * 1000,
    });
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
