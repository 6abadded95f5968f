import { API_METRICS } from '../../api/src/observability/metric-catalog.js';
import { OPERATOR_METRICS } from '../../operator/src/observability/metric-catalog.js';

interface CatalogEntry {
  readonly name: string;
  readonly type: string;
  readonly labels: readonly string[];
}

/**
 * The metric names the dashboards may use, typed from the API's and the operator's catalogs, so a
 * metric renamed or removed there breaks this package's build instead of leaving a blank panel.
 */
type NamesOf<Catalog, Type extends string> = {
  [Key in keyof Catalog]: Catalog[Key] extends { name: infer Name extends string; type: Type } ? Name : never;
}[keyof Catalog];

type Catalogs = typeof API_METRICS & typeof OPERATOR_METRICS;

export type CounterName = NamesOf<Catalogs, 'counter'>;
export type GaugeName = NamesOf<Catalogs, 'gauge'>;
export type HistogramName = NamesOf<Catalogs, 'histogram'>;

/**
 * prom-client's default process and Node.js metrics, which both services register
 * (`collectDefaultMetrics`) but no catalog lists; a test proves prom-client exports each of them.
 */
export const RUNTIME_METRICS = {
  cpuSeconds: 'process_cpu_seconds_total',
  residentMemory: 'process_resident_memory_bytes',
  heapUsed: 'nodejs_heap_size_used_bytes',
  eventLoopLagP99: 'nodejs_eventloop_lag_p99_seconds',
} as const;

export const CATALOG_METRICS: readonly CatalogEntry[] = [
  ...Object.values(API_METRICS),
  ...Object.values(OPERATOR_METRICS),
];
