import { collectDefaultMetrics, Registry } from 'prom-client';
import { CATALOG_METRICS } from '../../src/metrics.js';

export interface KnownMetric {
  /** The family as registered: `x` for `x_bucket`, `x_sum` and `x_count`. */
  family: string;
  type: string;
  labels: ReadonlySet<string>;
}

/** Labels Prometheus attaches to every scraped series (a ServiceMonitor target has them all). */
export const TARGET_LABELS = ['job', 'namespace', 'instance'];

function add(known: Map<string, KnownMetric>, family: string, type: string, labels: readonly string[]) {
  known.set(family, { family, type, labels: new Set(labels) });
  if (type !== 'histogram') return;
  known.set(`${family}_bucket`, { family, type, labels: new Set([...labels, 'le']) });
  known.set(`${family}_sum`, { family, type, labels: new Set(labels) });
  known.set(`${family}_count`, { family, type, labels: new Set(labels) });
}

/**
 * Every series name a query may select: the API's and the operator's catalogs, plus the default
 * metrics prom-client registers in both, read from prom-client itself rather than from a list.
 */
export async function knownMetrics(): Promise<Map<string, KnownMetric>> {
  const known = new Map<string, KnownMetric>();
  for (const metric of CATALOG_METRICS) add(known, metric.name, metric.type, metric.labels);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const metric of await registry.getMetricsAsJSON()) {
    const labels = new Set(metric.values.flatMap((value) => Object.keys(value.labels)));
    labels.delete('le');
    add(known, metric.name, String(metric.type), [...labels]);
  }
  return known;
}
