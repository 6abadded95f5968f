import {
  CATALOG_METRICS,
  type CounterName,
  type GaugeName,
  type HistogramName,
  type RUNTIME_METRICS,
} from './metrics.js';

type RuntimeMetric = (typeof RUNTIME_METRICS)[keyof typeof RUNTIME_METRICS];
type Counter = CounterName | typeof RUNTIME_METRICS.cpuSeconds;
type Gauge = GaugeName | Exclude<RuntimeMetric, typeof RUNTIME_METRICS.cpuSeconds>;

/** Grafana's window for rate(): at least four scrape intervals, whatever the zoom. */
const RATE_INTERVAL = '$__rate_interval';

/** Metrics that carry a `namespace` label of their own, naming the SkeletonApp's namespace. */
const OWN_NAMESPACE = new Set(
  CATALOG_METRICS.filter((metric) => metric.labels.includes('namespace')).map((metric) => metric.name),
);

/**
 * A selector scoped to the dashboard's `namespace` and `job` variables. A metric with a namespace
 * label of its own is scoped by job only: scraped with honorLabels its namespace is the app's, not
 * the operator's, and the operator's namespace would filter out every app of another namespace.
 */
export function select(metric: string, matchers: readonly string[] = []): string {
  const scope = OWN_NAMESPACE.has(metric) ? ['job=~"$job"'] : ['namespace=~"$namespace"', 'job=~"$job"'];
  return `${metric}{${[...scope, ...matchers].join(', ')}}`;
}

export const gauge = (metric: Gauge, matchers?: readonly string[]) => select(metric, matchers);

export function rate(metric: Counter, matchers?: readonly string[], window = RATE_INTERVAL): string {
  return `rate(${select(metric, matchers)}[${window}])`;
}

/** increase() rather than rate() for events that are rare: a count per interval reads better than 0.003/s. */
export function increase(metric: Counter, matchers?: readonly string[]): string {
  return `increase(${select(metric, matchers)}[${RATE_INTERVAL}])`;
}

/** How often a histogram observed, e.g. requests or queries per second. */
export function observations(metric: HistogramName, matchers?: readonly string[], window = RATE_INTERVAL) {
  return `rate(${select(`${metric}_count`, matchers)}[${window}])`;
}

/** Per-second observations at or below one bucket boundary (`le`), e.g. requests faster than the SLO. */
export function observationsBelow(metric: HistogramName, le: number, window: string): string {
  return `rate(${select(`${metric}_bucket`, [`le="${le}"`])}[${window}])`;
}

export function bucketRates(metric: HistogramName): string {
  return `rate(${select(`${metric}_bucket`)}[${RATE_INTERVAL}])`;
}

export function sumBy(labels: readonly string[], expr: string): string {
  return labels.length === 0 ? `sum(${expr})` : `sum by (${labels.join(', ')}) (${expr})`;
}

export function quantile(q: number, metric: HistogramName, by: readonly string[] = []): string {
  return `histogram_quantile(${q}, ${sumBy(['le', ...by], bucketRates(metric))})`;
}

/**
 * `part`, with 0 for every series of `like` that `part` lacks: a route that has answered no 5xx yet
 * shows 0 instead of "No data". Both need the same labels.
 */
export function orZero(part: string, like: string): string {
  return `${part} or ${like} * 0`;
}

/** part / whole, with a missing part counted as 0 rather than making the ratio vanish. */
export function ratio(part: string, whole: string): string {
  return `(${orZero(part, whole)}) / ${whole}`;
}
