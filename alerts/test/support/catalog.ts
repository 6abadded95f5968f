import { API_METRICS } from '../../../api/src/observability/metric-catalog.js';
import { OPERATOR_METRICS } from '../../../operator/src/observability/metric-catalog.js';
import type { Selector } from './promql.js';

/**
 * Labels Prometheus and the Prometheus Operator put on every scraped series, whatever the
 * catalog says.
 */
const TARGET_LABELS = ['job', 'instance', 'namespace', 'service', 'pod', 'container', 'endpoint'];

interface KnownSeries {
  labels: ReadonlySet<string>;
  /** Only meaningful as a rate: a counter, or a histogram's `_bucket`/`_count`/`_sum`. */
  cumulative: boolean;
}

function catalogSeries(): Map<string, KnownSeries> {
  const series = new Map<string, KnownSeries>();
  const add = (name: string, labels: readonly string[], cumulative: boolean) =>
    series.set(name, { labels: new Set([...TARGET_LABELS, ...labels]), cumulative });
  for (const metric of [...Object.values(API_METRICS), ...Object.values(OPERATOR_METRICS)]) {
    if (metric.type === 'histogram') {
      add(`${metric.name}_bucket`, [...metric.labels, 'le'], true);
      add(`${metric.name}_count`, metric.labels, true);
      add(`${metric.name}_sum`, metric.labels, true);
    } else {
      add(metric.name, metric.labels, metric.type === 'counter');
    }
  }
  add('up', [], false);
  return series;
}

const CATALOG = catalogSeries();

/** Range functions that turn a cumulative series into something to compare. */
const RATES = new Set(['rate', 'increase', 'irate']);

/**
 * What is wrong with one selector of a rule or a runbook query: a metric neither catalog exports
 * (nor a recording rule of ours makes), a label it does not have, or a counter read raw.
 * `recorded` maps the names of our recording rules to their labels.
 */
export function selectorProblems(selector: Selector, recorded: ReadonlyMap<string, ReadonlySet<string>>) {
  const known =
    CATALOG.get(selector.metric) ??
    (recorded.has(selector.metric)
      ? { labels: recorded.get(selector.metric) as ReadonlySet<string>, cumulative: false }
      : undefined);
  if (!known) return [`${selector.metric} is in neither metric catalog nor a recording rule`];
  const problems = selector.matchers
    .filter((matcher) => !known.labels.has(matcher.label))
    .map((matcher) => `${selector.metric} has no label ${matcher.label}`);
  if (known.cumulative && !RATES.has(selector.rangeFunction ?? '')) {
    problems.push(`${selector.metric} is cumulative: read it with rate() or increase()`);
  }
  return problems;
}
