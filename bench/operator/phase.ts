import type { RunningServer } from '../processes.js';
import type { BenchBackend, KindRef } from './backend.js';
import { benchApp, expectedChildren } from './cluster.js';
import { type CallTime, FakeTiming } from './fake-timing.js';
import { grew, scrape, total } from './metrics.js';
import { cpuSeconds, peakRss } from './process-stats.js';
import { type PhaseResult, spread } from './report.js';
import { breakdown, mostFirst, RequestWindow, waitForQuiet } from './requests.js';
import { ApplyTracker, appKey } from './tracker.js';
import { childApplies, requestWrites, type WriteCounter, written } from './writes.js';

/** No write for this long, and the operator's queue empty: it has settled. */
const QUIET_MS = 2_000;
/** Settling after the load may take this long before the bench gives up on quiet. */
const SETTLE_TIMEOUT_MS = 120_000;

const BENCH_CREATES = 'create skeletonapps.platform.skeleton.dev';

export interface AppRef {
  namespace: string;
  name: string;
}

/** The API server, the operator's process, and what follows them. */
export class BenchRun {
  /** The operator's writes: from the fake's request log where there is one, else its own counters. */
  readonly writes: WriteCounter;
  private readonly timing: FakeTiming | undefined;
  private readonly metricsUrl: string;

  private constructor(
    readonly backend: BenchBackend,
    readonly tracker: ApplyTracker,
    private readonly operator: RunningServer,
    metricsPort: number,
    private readonly log: (message: string) => void,
  ) {
    this.metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    this.timing = backend.fake && new FakeTiming(backend.fake.api);
    this.writes = backend.fake ? requestWrites(backend.fake.faults.requests) : childApplies(this.metricsUrl);
  }

  static async start(
    backend: BenchBackend,
    operator: RunningServer,
    metricsPort: number,
    log: (message: string) => void,
  ): Promise<BenchRun> {
    // Every app of the bench renders to the same kinds of children.
    const kinds = new Map<string, KindRef>();
    for (const { apiVersion, kind } of expectedChildren(benchApp('any', 'any')))
      kinds.set(`${apiVersion}/${kind}`, { apiVersion, kind });
    const tracker = await ApplyTracker.start(backend, [...kinds.values()]);
    return new BenchRun(backend, tracker, operator, metricsPort, log);
  }

  /** Resolves once nothing is written and the operator's work queue is empty and idle. */
  settle(): Promise<boolean> {
    return waitForQuiet(
      () => this.writes.total(),
      QUIET_MS,
      SETTLE_TIMEOUT_MS,
      () => this.operatorIdle(),
    );
  }

  /**
   * Measures one phase: `create` creates the apps (telling the tracker when each create was
   * answered) and resolves with how long that took; the phase lasts until every app is Ready (or
   * `timeoutMs` after it began) and the operator has settled.
   */
  async phase(
    apps: AppRef[],
    timeoutMs: number,
    create: () => Promise<number>,
  ): Promise<PhaseResult & { createsMs: number }> {
    for (const { namespace, name } of apps)
      this.tracker.expect(namespace, name, expectedChildren(benchApp(namespace, name)));
    const before = await scrape(this.metricsUrl);
    const writesBefore = await this.writes.counts();
    this.timing?.reset();
    const requests = this.backend.fake && new RequestWindow(this.backend.fake.faults.requests);
    const operatorCpu = cpuSeconds(this.operator.pid);
    const benchCpu = process.cpuUsage();
    const startedAt = performance.now();
    const createsMs = await create();
    const keys = apps.map(({ namespace, name }) => appKey(namespace, name));
    const left = Math.max(0, timeoutMs - (performance.now() - startedAt));
    const complete = await this.tracker.whenReady(keys, left);
    const readyAt = performance.now();
    if (complete && !(await this.settle()))
      this.log(`the operator was still busy ${SETTLE_TIMEOUT_MS / 1000} s after every app was Ready`);
    requests?.close();
    const after = await scrape(this.metricsUrl);
    const writesAfter = await this.writes.counts();
    const operatorCpuAfter = cpuSeconds(this.operator.pid);
    const bench = process.cpuUsage(benchCpu);

    const times = keys.map((key) => this.tracker.times(key));
    const since = (field: 'children' | 'ready') =>
      times.flatMap(({ applied, [field]: at }) =>
        applied === undefined || at === undefined ? [] : [Math.max(0, at - applied)],
      );
    // The bench's creates are the only requests in the window that are not the operator's.
    const operatorOnly = (counts: [string, number][]) =>
      counts
        .map(([label, count]): [string, number] => [
          label,
          label === BENCH_CREATES ? count - apps.length : count,
        ])
        .filter(([, count]) => count > 0);
    const mean = (name: string) => {
      const count = grew(before, after, `${name}_count`);
      return count === 0 ? Number.NaN : (grew(before, after, `${name}_sum`) / count) * 1000;
    };
    return {
      apps: apps.length,
      childrenMs: spread(since('children')),
      readyMs: spread(since('ready')),
      allReadyMs: complete ? readyAt - startedAt : undefined,
      complete,
      writes: operatorOnly(written(writesBefore, writesAfter)),
      requests: requests && operatorOnly(breakdown(requests.entries())),
      reconciles: grew(before, after, 'controller_runtime_reconcile_total'),
      retries: grew(before, after, 'workqueue_retries_total'),
      meanReconcileMs: mean('controller_runtime_reconcile_time_seconds'),
      meanQueueWaitMs: mean('workqueue_queue_duration_seconds'),
      operatorCpuSeconds:
        operatorCpu === undefined || operatorCpuAfter === undefined
          ? undefined
          : operatorCpuAfter - operatorCpu,
      benchCpuSeconds: (bench.user + bench.system) / 1e6,
      operatorPeakRssBytes: peakRss(this.operator.pid),
      fakeCalls: this.timing?.snapshot(),
      createsMs,
    };
  }

  /** Nothing in the work queue and no reconcile in flight (each one started has finished). */
  private async operatorIdle(): Promise<boolean> {
    const metrics = await scrape(this.metricsUrl);
    return (
      total(metrics, 'workqueue_depth') === 0 &&
      total(metrics, 'workqueue_queue_duration_seconds_count') ===
        total(metrics, 'controller_runtime_reconcile_time_seconds_count')
    );
  }
}

/** The one-at-a-time runs of the baseline as one result: each run's figures are one app's. */
export function mergeBaseline(runs: PhaseResult[]): PhaseResult {
  const values = (pick: (run: PhaseResult) => number | undefined) =>
    runs.map(pick).filter((value): value is number => value !== undefined);
  const sum = (pick: (run: PhaseResult) => number | undefined) =>
    values(pick).reduce((added, value) => added + value, 0);
  const addCounts = (pick: (run: PhaseResult) => [string, number][]) => {
    const merged = new Map<string, number>();
    for (const [label, count] of runs.flatMap(pick)) merged.set(label, (merged.get(label) ?? 0) + count);
    return mostFirst(merged);
  };
  const calls = new Map<string, CallTime>();
  for (const { call, count, totalMs } of runs.flatMap((run) => run.fakeCalls ?? [])) {
    const sum = calls.get(call) ?? { call, count: 0, totalMs: 0 };
    calls.set(call, { call, count: sum.count + count, totalMs: sum.totalMs + totalMs });
  }
  const reconciles = sum((run) => run.reconciles);
  return {
    apps: runs.length,
    childrenMs: spread(values((run) => run.childrenMs.max)),
    readyMs: spread(values((run) => run.readyMs.max)),
    allReadyMs: spread(values((run) => run.allReadyMs)).p50,
    complete: runs.every((run) => run.complete),
    writes: addCounts((run) => run.writes),
    requests: runs.every((run) => run.requests) ? addCounts((run) => run.requests ?? []) : undefined,
    reconciles,
    meanReconcileMs: sum((run) => run.meanReconcileMs * run.reconciles) / reconciles,
    meanQueueWaitMs: sum((run) => run.meanQueueWaitMs * run.reconciles) / reconciles,
    retries: sum((run) => run.retries),
    operatorCpuSeconds: runs.every((run) => run.operatorCpuSeconds !== undefined)
      ? sum((run) => run.operatorCpuSeconds)
      : undefined,
    benchCpuSeconds: sum((run) => run.benchCpuSeconds),
    operatorPeakRssBytes: runs[runs.length - 1]?.operatorPeakRssBytes,
    fakeCalls: runs.every((run) => run.fakeCalls)
      ? [...calls.values()].sort((a, b) => b.totalMs - a.totalMs)
      : undefined,
  };
}
