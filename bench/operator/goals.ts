import { type Goal, goalRow } from '../goals.js';

/**
 * The operator's performance goals, each judged against a run's figure. They are stated for
 * GOAL_APPS apps; a run at another count is judged all the same, and says so.
 */
export const GOAL_APPS = 1000;

export interface GoalFigures {
  apps: number;
  /** The operator's peak resident set size over the run (VmHWM), in bytes. */
  peakRssBytes: number | undefined;
  /** Operator CPU per app while the apps were created and made Ready, in ms. */
  cpuPerAppMs: number | undefined;
  /** TCP connections the API server accepted and the requests they carried; undefined where not seen. */
  traffic: { connections: number; requests: number } | undefined;
}

const MAX_PEAK_RSS_MIB = 150;
const MAX_CPU_PER_APP_MS = 15;
/** Connections are reused: fewer than one connection per this many requests. */
const REQUESTS_PER_CONNECTION = 10;

const judged = (
  name: string,
  value: number | undefined,
  target: string,
  within: (value: number) => boolean,
  show: (value: number) => string,
): Goal =>
  value === undefined || Number.isNaN(value)
    ? { name, figure: 'not measured', target, pass: undefined }
    : { name, figure: show(value), target, pass: within(value) };

export function judgeGoals(figures: GoalFigures): Goal[] {
  const { traffic } = figures;
  return [
    judged(
      'operator peak RSS (MiB)',
      figures.peakRssBytes === undefined ? undefined : figures.peakRssBytes / 2 ** 20,
      `≤ ${MAX_PEAK_RSS_MIB}`,
      (mib) => mib <= MAX_PEAK_RSS_MIB,
      (mib) => mib.toFixed(1),
    ),
    judged(
      'operator CPU per app (ms)',
      figures.cpuPerAppMs,
      `≤ ${MAX_CPU_PER_APP_MS}`,
      (ms) => ms <= MAX_CPU_PER_APP_MS,
      (ms) => ms.toFixed(1),
    ),
    judged(
      'connections per request',
      traffic === undefined || traffic.requests === 0 ? undefined : traffic.connections / traffic.requests,
      `< 1 in ${REQUESTS_PER_CONNECTION}`,
      (ratio) => ratio < 1 / REQUESTS_PER_CONNECTION,
      (ratio) => `${ratio.toFixed(4)} (${traffic?.connections} for ${traffic?.requests})`,
    ),
  ];
}

export function renderGoals(figures: GoalFigures): string[] {
  return [
    `| Goal (stated for ${GOAL_APPS} apps${figures.apps === GOAL_APPS ? '' : `; this run: ${figures.apps}`}) | Figure | Target | Met |`,
    '|---|--:|--:|:-:|',
    ...judgeGoals(figures).map(goalRow),
  ];
}
