import { mkdir, writeFile } from 'node:fs/promises';
import type { Measurement, Timing } from './load.js';

/** A measured run, and for an API scenario the bare-Koa run at the same connection count. */
export interface Row {
  measurement: Measurement;
  baseline?: Measurement;
}

export interface RunContext extends Timing {
  notes: string[];
}

const ratios = ({ measurement, baseline }: Row) =>
  baseline && {
    requestsPerSecond: measurement.requestsPerSecond / baseline.requestsPerSecond,
    p99: measurement.latencyMs.p99 / baseline.latencyMs.p99,
  };

export const ms = (value: number) => value.toFixed(2);
export const times = (value: number | undefined) => (value === undefined ? '—' : `${value.toFixed(3)}×`);

export function renderMarkdown(rows: Row[], context: RunContext, node = process.version): string {
  const lines = [
    '| Scenario | Connections | Req/s (avg) | p50 ms | p95 ms | p99 ms | Errors | Timeouts | Non-2xx | Req/s ÷ bare | p99 ÷ bare |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const row of rows) {
    const m = row.measurement;
    const ratio = ratios(row);
    lines.push(
      `| ${m.name} | ${m.connections} | ${Math.round(m.requestsPerSecond)} | ${ms(m.latencyMs.p50)} | ${ms(m.latencyMs.p95)} | ${ms(m.latencyMs.p99)} | ${m.errors} | ${m.timeouts} | ${m.non2xx} | ${times(ratio?.requestsPerSecond)} | ${times(ratio?.p99)} |`,
    );
  }
  return [
    ...lines,
    '',
    `${context.durationSeconds} s per run after a ${context.warmupSeconds} s warm-up; Node ${node}.`,
    'Percentiles are nearest-rank over every response time of the measured run (autocannon reports no p95).',
    'Errors include timeouts; a timed-out request has no response time, so the percentiles cannot show it.',
    'Ratios are against bare Koa at the same connection count, measured in this run.',
    ...context.notes.map((note) => `Note: ${note}`),
    '',
  ].join('\n');
}

/** Writes `<name>.json` and `<name>.md` under bench/results/. */
export async function writeResultFiles(name: string, json: object, markdown: string): Promise<void> {
  const directory = new URL('results/', import.meta.url);
  await mkdir(directory, { recursive: true });
  await writeFile(new URL(`${name}.json`, directory), `${JSON.stringify(json, null, 2)}\n`);
  await writeFile(new URL(`${name}.md`, directory), markdown);
}

export async function writeResults(
  rows: Row[],
  context: RunContext,
  markdown: string,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const json = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    ...context,
    ...extra,
    rows: rows.map((row) => ({ ...row.measurement, versusBare: ratios(row) })),
  };
  await writeResultFiles('latest', json, markdown);
}
