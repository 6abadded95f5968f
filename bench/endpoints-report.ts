import { type Goal, renderGoals } from './goals.js';
import type { Machine } from './journeys/machine.js';
import type { LevelSummary } from './journeys/summary.js';
import type { Measurement } from './load.js';
import { type Row, type RunContext, renderMarkdown } from './report.js';

export const ENDPOINTS_REPORT_FILES = { json: 'endpoints.json', markdown: 'endpoints.md' };

export interface ColdStarts {
  postgresMs: number;
  pgliteFirstMs: number;
  pgliteMs: number;
  /** How many starts each median is over. */
  runs: number;
}

/** Everything `npm run bench:endpoints` measured; the Markdown is rendered from this alone. */
export interface EndpointsReport {
  generatedAt: string;
  machine: Machine;
  context: RunContext;
  goals: Goal[];
  rows: Row[];
  storm: Measurement;
  argon2: { perSecond: number; workers: number };
  journey: LevelSummary;
  coldStarts: ColdStarts;
}

const ms = (value: number | undefined) => (value === undefined ? 'n/a' : `${value.toFixed(0)} ms`);

/** The roadmap's login-storm report: throughput at the hashing ceiling, latency as queueing, and sizing. */
function stormSection({ storm, argon2, context, machine }: EndpointsReport): string[] {
  const accepted = (storm.statusCodes['200'] ?? 0) / context.durationSeconds;
  const refused = (storm.statusCodes['503'] ?? 0) / context.durationSeconds;
  const ok = storm.latencyByStatus?.['200'];
  const shed = storm.latencyByStatus?.['503'];
  return [
    `## Login storm: ${storm.connections} closed-loop clients logging in`,
    '',
    `- Throughput: ${accepted.toFixed(0)} successful logins a second, ${(accepted / argon2.perSecond).toFixed(2)}× the ` +
      `${argon2.perSecond.toFixed(0)} argon2id verifications a second this machine's ${machine.cores} cores do; ` +
      `${refused.toFixed(0)} a second were refused at once with 503 and Retry-After.`,
    `- Latency is queueing: an accepted login waited p50 ${ms(ok?.p50)}, p99 ${ms(ok?.p99)}, behind at most ` +
      `PASSWORD_HASH_QUEUE_MAX others; a refusal took p50 ${ms(shed?.p50)}, p99 ${ms(shed?.p99)}.`,
    '- Sizing: a pod verifies at most PASSWORD_HASH_CONCURRENCY ÷ (the time of one verification) passwords a ' +
      `second, here ${argon2.perSecond.toFixed(0)} with both cores hashing. For a peak of L logins a second, ` +
      'run ceil(L ÷ (0.8 × that)) replicas: the 0.8 leaves room for the rest of each login and for other traffic.',
    '',
  ];
}

function journeySection({ journey, context }: EndpointsReport): string[] {
  const { overall } = journey;
  return [
    `## Mixed journey: ${journey.users} users, 1 s think time`,
    '',
    `${journey.requestsPerSecond.toFixed(0)} requests a second; p50 ${ms(overall.p50)}, p95 ${ms(overall.p95)}, ` +
      `p99 ${ms(overall.p99)}; ${(journey.errorRate * 100).toFixed(2)} % failed. Answers: ` +
      `${Object.entries(journey.outcomes)
        .map(([outcome, count]) => `${outcome} ×${count}`)
        .join(', ')}.`,
    `(${context.durationSeconds} s runs for single endpoints; the journey has its own window.)`,
    '',
  ];
}

export function renderEndpointsReport(report: EndpointsReport): string {
  const { machine, coldStarts, argon2 } = report;
  return [
    '# Endpoint benchmarks',
    '',
    `Generated ${report.generatedAt} by \`npm run bench:endpoints\` on ${machine.cpu}, ${machine.cores} cores, ` +
      `${machine.memoryGiB} GiB, ${machine.kernel}, Node ${machine.node}, PostgreSQL ${machine.postgres}, ` +
      `Redis ${machine.redis}; the load generator, the servers, PostgreSQL and Redis share it.`,
    '',
    '## Goals',
    '',
    renderGoals(report.goals),
    ...stormSection(report),
    ...journeySection(report),
    '## Cold starts',
    '',
    `Spawn to the first 200 from /health/ready of the compiled API, median of ${coldStarts.runs}: PostgreSQL in ` +
      `production mode ${ms(coldStarts.postgresMs)}; PGlite ${ms(coldStarts.pgliteMs)}, its very first start ` +
      `(creating and migrating the database) ${ms(coldStarts.pgliteFirstMs)}. argon2id on ${argon2.workers} cores ` +
      `at once: ${argon2.perSecond.toFixed(0)} verifications a second.`,
    '',
    '## Every run',
    '',
    renderMarkdown(report.rows, report.context, machine.node),
  ].join('\n');
}
