import { percentile } from '../../api/test/support/latencies.js';
import type { DriftResult } from './drift.js';
import type { CallTime } from './fake-timing.js';
import { type GoalFigures, renderGoals } from './goals.js';

/** Percentiles of a set of durations, in ms. */
export interface Spread {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export function spread(values: readonly number[]): Spread {
  return {
    count: values.length,
    p50: percentile(values, 50),
    p99: percentile(values, 99),
    max: values.length === 0 ? Number.NaN : values.reduce((most, value) => Math.max(most, value), -Infinity),
  };
}

/** One phase of the run: apps applied (one at a time for the baseline, all at once for the load). */
export interface PhaseResult {
  apps: number;
  /** Create answered → the last expected child stored, per app. */
  childrenMs: Spread;
  /** Create answered → Ready, per app. */
  readyMs: Spread;
  /** First create sent → every app Ready (for the baseline: per app, the median). */
  allReadyMs: number | undefined;
  /** Every app was Ready before the timeout. */
  complete: boolean;
  /** The operator's writes, by label, as the backend lets them be counted (see OperatorBenchContext.writesCounted). */
  writes: [string, number][];
  /** Every request the operator sent, by `verb resource`: only the fake sees them. */
  requests: [string, number][] | undefined;
  reconciles: number;
  meanReconcileMs: number;
  meanQueueWaitMs: number;
  retries: number;
  operatorCpuSeconds: number | undefined;
  /** This process: the fake, its simulated controllers and the bench's own bookkeeping. */
  benchCpuSeconds: number;
  /** The operator's VmHWM at the end of the phase. */
  operatorPeakRssBytes: number | undefined;
  /** The fake's handling time by call, in this process; undefined on the control plane. */
  fakeCalls: CallTime[] | undefined;
}

export interface OperatorBenchContext {
  /** The API server: the fake in the bench's process, or the real control plane. */
  backend: string;
  /** What the writes are counted from. */
  writesCounted: string;
  concurrency: number;
  namespaces: number;
  parallelCreates: number;
  /** The load phase's creates: first sent → last answered. */
  createsMs: number;
  /** Writes (by label) during the steady-state window after everything was Ready and quiet. */
  steadyWrites: [string, number][] | undefined;
  steadySeconds: number;
  /** What the fake accepted over the whole run, the operator's requests and the bench's own; undefined on the control plane. */
  traffic: { connections: number; requests: number } | undefined;
  /** Hand edits of Deployments after the steady state, timed until the operator put them back. */
  drift?: DriftResult;
  /** The highest RSS sampled during the whole run. */
  sampledPeakRssBytes: number | undefined;
  notes: string[];
}

const fixed = (value: number | undefined, digits: number) =>
  value === undefined || Number.isNaN(value) ? '—' : value.toFixed(digits);
const mib = (bytes: number | undefined) => (bytes === undefined ? undefined : bytes / 2 ** 20);
const ratio = (load: number | undefined, alone: number | undefined) =>
  load === undefined || alone === undefined || alone === 0 ? '—' : `${(load / alone).toFixed(2)}×`;
const sum = (counts: [string, number][]) => counts.reduce((total, [, count]) => total + count, 0);

export const writesPerApp = (phase: PhaseResult) => sum(phase.writes) / phase.apps;

function row(label: string, alone: number | undefined, load: number | undefined, digits: number): string {
  return `| ${label} | ${fixed(alone, digits)} | ${fixed(load, digits)} | ${ratio(load, alone)} |`;
}

/** What the goals are judged on: the run's peak RSS, the load's CPU per app, the connections. */
export function goalFigures(load: PhaseResult, context: OperatorBenchContext): GoalFigures {
  return {
    apps: load.apps,
    peakRssBytes: maxDefined(load.operatorPeakRssBytes, context.sampledPeakRssBytes),
    cpuPerAppMs:
      load.operatorCpuSeconds === undefined ? undefined : (load.operatorCpuSeconds * 1000) / load.apps,
    traffic: context.traffic,
  };
}

export function renderMarkdown(alone: PhaseResult, load: PhaseResult, context: OperatorBenchContext): string {
  const perApp = (phase: PhaseResult, value: number | undefined) =>
    value === undefined ? undefined : value / phase.apps;
  const goals = renderGoals(goalFigures(load, context));
  const lines = [
    `| Measure | 1 app alone (×${alone.apps}, one at a time) | ${load.apps} apps at once | at ${load.apps} ÷ alone |`,
    '|---|--:|--:|--:|',
    row('apply → all children, p50 (ms)', alone.childrenMs.p50, load.childrenMs.p50, 1),
    row('apply → all children, p99 (ms)', alone.childrenMs.p99, load.childrenMs.p99, 1),
    row('apply → all children, max (ms)', alone.childrenMs.max, load.childrenMs.max, 1),
    row('apply → Ready, p50 (ms)', alone.readyMs.p50, load.readyMs.p50, 1),
    row('apply → Ready, p99 (ms)', alone.readyMs.p99, load.readyMs.p99, 1),
    row(
      'first create → all Ready (s; alone: the median)',
      seconds(alone.allReadyMs),
      seconds(load.allReadyMs),
      2,
    ),
    row('writes per app (operator; see below what is counted)', writesPerApp(alone), writesPerApp(load), 2),
    row('reconciles per app', alone.reconciles / alone.apps, load.reconciles / load.apps, 2),
    row('mean reconcile time (ms)', alone.meanReconcileMs, load.meanReconcileMs, 1),
    row('mean wait in the work queue (ms)', alone.meanQueueWaitMs, load.meanQueueWaitMs, 1),
    row('reconcile retries (errors)', alone.retries, load.retries, 0),
    row(
      'operator CPU per app (ms)',
      perApp(alone, ms(alone.operatorCpuSeconds)),
      perApp(load, ms(load.operatorCpuSeconds)),
      1,
    ),
    row(
      'bench process CPU per app: the bench, and the fake with its controllers (ms)',
      perApp(alone, ms(alone.benchCpuSeconds)),
      perApp(load, ms(load.benchCpuSeconds)),
      1,
    ),
    row('operator peak RSS, VmHWM (MiB)', mib(alone.operatorPeakRssBytes), mib(load.operatorPeakRssBytes), 1),
  ];
  const writes = new Map(load.writes);
  for (const [label] of alone.writes) if (!writes.has(label)) writes.set(label, 0);
  const aloneWrites = new Map(alone.writes);
  const writeTable = [
    '| Operator write | per app alone | per app at once | total at once |',
    '|---|--:|--:|--:|',
    ...[...writes].map(
      ([label, count]) =>
        `| ${label} | ${fixed((aloneWrites.get(label) ?? 0) / alone.apps, 2)} | ${fixed(count / load.apps, 2)} | ${count} |`,
    ),
  ];
  const fakeTable =
    load.fakeCalls === undefined
      ? []
      : [
          `| Fake kube-apiserver call, ${load.apps} apps at once | calls | total ms | mean ms |`,
          '|---|--:|--:|--:|',
          ...load.fakeCalls.map(
            ({ call, count, totalMs }) =>
              `| ${call} | ${count} | ${fixed(totalMs, 0)} | ${fixed(totalMs / count, 2)} |`,
          ),
          '',
        ];
  const steadyCount = context.steadyWrites && sum(context.steadyWrites);
  const steady =
    context.steadyWrites === undefined
      ? 'Steady state: not measured (not every app became Ready).'
      : `Steady state: ${steadyCount} writes in ${context.steadySeconds} s once everything was Ready and quiet (expected 0)${
          steadyCount === 0
            ? ''
            : `: ${context.steadyWrites.map(([label, count]) => `${count} × ${label}`).join(', ')}`
        }.`;
  const { drift } = context;
  const driftLine =
    drift === undefined
      ? 'Drift heal: not measured (not every app became Ready).'
      : `Drift heal, ${drift.edits} Deployments changed by hand (kubectl set image) one at a time with ${load.apps} apps settled: put back in p50 ${fixed(drift.healMs.p50, 1)} ms, p99 ${fixed(drift.healMs.p99, 1)} ms, max ${fixed(drift.healMs.max, 1)} ms${drift.unhealed === 0 ? '' : `; ${drift.unhealed} NOT put back`}.`;
  return [
    ...goals,
    '',
    ...lines,
    '',
    ...writeTable,
    '',
    ...fakeTable,
    `${load.apps} apps created ${context.parallelCreates} requests at a time over ${context.namespaces} namespaces in ${fixed(seconds(context.createsMs), 2)} s; ${load.complete ? 'every app became Ready' : `NOT every app became Ready (${load.readyMs.count} of ${load.apps})`}.`,
    steady,
    driftLine,
    context.traffic === undefined
      ? 'Connections: not counted (only the fake sees them).'
      : `Connections: the fake accepted ${context.traffic.connections} TCP connections for ${context.traffic.requests} requests over the whole run (the operator's and the bench's own).`,
    `Operator: MAX_CONCURRENT_RECONCILES=${context.concurrency}, its own process; highest RSS sampled during the run ${fixed(mib(context.sampledPeakRssBytes), 1)} MiB. Node ${process.version}.`,
    `API server: ${context.backend}. Every step is timed in the bench process from the API server's change notifications.`,
    '"apply" is the create answered (201); "all children" is the last of the objects the app renders to (no ServiceMonitor: its CRD is not installed) being stored; Ready is the Ready condition True at the current generation.',
    `Writes are the ${context.writesCounted} during the phase, until none came for 2 s and the operator's work queue was empty, without the bench's own creates; reconcile figures are from the operator's /metrics.`,
    ...(load.fakeCalls === undefined
      ? []
      : [
          "The fake's call times are its synchronous handling (server-side apply, storing, serialising to every open watch), without body parsing and response writing; get includes the simulated controllers' reads.",
        ]),
    "Percentiles are nearest-rank; the one-app figures are over the one-at-a-time runs (the first includes the operator's warm-up).",
    ...context.notes.map((note) => `Note: ${note}`),
    '',
  ].join('\n');
}

function maxDefined(...values: (number | undefined)[]): number | undefined {
  const defined = values.filter((value): value is number => value !== undefined);
  return defined.length === 0 ? undefined : Math.max(...defined);
}

function ms(seconds: number | undefined): number | undefined {
  return seconds === undefined ? undefined : seconds * 1000;
}

function seconds(milliseconds: number | undefined): number | undefined {
  return milliseconds === undefined ? undefined : milliseconds / 1000;
}
