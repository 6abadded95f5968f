import { renderLatencyChart } from './chart.js';
import { STEPS, type Step } from './journey.js';
import type { Machine } from './machine.js';
import type { LatencySummary, LevelSummary } from './summary.js';

export const TARGET = { p95Ms: 200, errorRate: 0.001 };

export interface LevelResult {
  users: number;
  api: LevelSummary;
  bare: LevelSummary;
}

export interface LoadReport {
  generatedAt: string;
  machine: Machine;
  settings: {
    rampSeconds: number;
    durationSeconds: number;
    meanThinkTimeMs: number;
    sessionRounds: number;
    session: readonly Step[];
    api: Record<string, string>;
  };
  levels: LevelResult[];
}

const ms = (value: number) => (Number.isNaN(value) ? '—' : value.toFixed(1));
const percent = (rate: number) => `${(rate * 100).toFixed(rate < 0.001 && rate > 0 ? 3 : 2)} %`;
const ratio = (value: number, baseline: number) => `${(value / baseline).toFixed(2)}×`;

export const meetsTarget = (summary: LevelSummary) =>
  summary.overall.p95 < TARGET.p95Ms && summary.errorRate < TARGET.errorRate;

const latencyCells = (summary: LatencySummary) =>
  `${ms(summary.p50)} | ${ms(summary.p95)} | ${ms(summary.p99)}`;

function resultTable(levels: LevelResult[]): string[] {
  return [
    '| Users | Req/s | p50 ms | p95 ms | p99 ms | Error rate | Target met | Req/s ÷ bare | p95 ÷ bare |',
    '|--:|--:|--:|--:|--:|--:|:-:|--:|--:|',
    ...levels.map(
      ({ users, api, bare }) =>
        `| ${users} | ${api.requestsPerSecond.toFixed(0)} | ${latencyCells(api.overall)} | ${percent(api.errorRate)} | ${meetsTarget(api) ? 'yes' : '**no**'} | ${ratio(api.requestsPerSecond, bare.requestsPerSecond)} | ${ratio(api.overall.p95, bare.overall.p95)} |`,
    ),
  ];
}

function stepTable(levels: LevelResult[]): string[] {
  return [
    `| Step | ${levels.map(({ users }) => `${users} users: requests · p50 / p95 / p99 ms · failed`).join(' | ')} |`,
    `|---|${levels.map(() => '--:').join('|')}|`,
    ...STEPS.map((step) => {
      const cells = levels.map(({ api }) => {
        const summary = api.steps[step];
        return `${summary.requests} · ${ms(summary.p50)} / ${ms(summary.p95)} / ${ms(summary.p99)} · ${summary.failed}`;
      });
      return `| ${step} | ${cells.join(' | ')} |`;
    }),
  ];
}

function baselineTable(levels: LevelResult[]): string[] {
  return [
    '| Users | Req/s | p50 ms | p95 ms | p99 ms | Error rate |',
    '|--:|--:|--:|--:|--:|--:|',
    ...levels.map(
      ({ users, bare }) =>
        `| ${users} | ${bare.requestsPerSecond.toFixed(0)} | ${latencyCells(bare.overall)} | ${percent(bare.errorRate)} |`,
    ),
  ];
}

const outcomes = (summary: LevelSummary) =>
  Object.entries(summary.outcomes)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([outcome, count]) => `${count} × ${outcome}`)
    .join(', ');

const outcomeLines = (levels: LevelResult[]) =>
  levels.map(({ users, api, bare }) => `- ${users} users: API ${outcomes(api)}; bare Koa ${outcomes(bare)}`);

/** The committed report's files, all rendered from the JSON one (a test keeps them in step). */
export const REPORT_FILES = { json: 'load.json', markdown: 'load.md', chart: 'load-latency.svg' };

export function renderLoadChart(report: LoadReport): string {
  const line = (label: string, colour: string, figure: (level: LevelResult) => number) => ({
    label,
    colour,
    points: report.levels.map((level) => ({ users: level.users, ms: figure(level) })),
  });
  return renderLatencyChart(
    'Mixed journeys: latency against concurrent users',
    [
      line('API p50', '#1f77b4', ({ api }) => api.overall.p50),
      line('API p95', '#ff7f0e', ({ api }) => api.overall.p95),
      line('API p99', '#2ca02c', ({ api }) => api.overall.p99),
      { ...line('bare Koa p95', '#7f7f7f', ({ bare }) => bare.overall.p95), dashed: true },
    ],
    TARGET.p95Ms,
  );
}

export function renderLoadMarkdown(report: LoadReport, chartFile = REPORT_FILES.chart): string {
  const { machine, settings } = report;
  return [
    '# Load: mixed user journeys',
    '',
    `Measured ${report.generatedAt.slice(0, 10)} by \`npm run bench\` on ${machine.cpu}, ${machine.cores} cores, ` +
      `${machine.memoryGiB} GiB, ${machine.kernel}; Node ${machine.node}, PostgreSQL ${machine.postgres}, Redis ${machine.redis}. ` +
      'The load generator, the API, PostgreSQL and Redis all share this machine.',
    '',
    `Target: p95 < ${TARGET.p95Ms} ms and error rate < ${percent(TARGET.errorRate)} at every level.`,
    '',
    ...resultTable(report.levels),
    '',
    `![Latency against concurrent users](${chartFile})`,
    '',
    '## Each step of the journey (API)',
    '',
    ...stepTable(report.levels),
    '',
    '## Bare Koa baseline, same users and pacing',
    '',
    ...baselineTable(report.levels),
    '',
    '## Answers',
    '',
    ...outcomeLines(report.levels),
    '',
    '## How it was measured',
    '',
    `- Each virtual user has its own keep-alive connection and address (X-Forwarded-For behind one trusted proxy hop) and repeats a session: ${settings.session[0]}, then ${settings.sessionRounds} × (${settings.session.slice(1, 5).join(', ')}), then ${settings.session[settings.session.length - 1]}. A failed step ends the session and the user signs in again.`,
    `- After each answer the user pauses for a think time drawn uniformly between ${settings.meanThinkTimeMs / 2} and ${(settings.meanThinkTimeMs * 3) / 2} ms, so the offered load grows with the users: about users ÷ (think time + latency) requests a second.`,
    `- Users start evenly over ${settings.rampSeconds} s; then every request sent in the next ${settings.durationSeconds} s is measured. Percentiles are nearest-rank over all of them, failed ones included; a request unanswered after 10 s is a failure.`,
    `- The API runs as one process (one replica), as in production: ${Object.entries(settings.api)
      .map(([name, value]) => `\`${name}=${value}\``)
      .join(
        ', ',
      )}. Its rate limits are on and kept in Redis; each level uses its own accounts and addresses.`,
    '- The baseline is a bare Koa server answering "hello" to the same requests from the same users at the same pace, measured in the same run right before the API at each level; the ratios divide the API by it.',
    "- The baseline keeps Node's default 5 s keep-alive, shorter than the longest think time, so a user can reuse a connection just as it closes (a reset or hang-up); the API keeps idle connections 65 s, as behind a load balancer.",
    `- \`bench/report/${REPORT_FILES.json}\` holds every figure, including the baseline per step.`,
    '',
  ].join('\n');
}
