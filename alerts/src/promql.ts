import type { API_METRICS } from '../../api/src/observability/metric-catalog.js';
import type { OPERATOR_METRICS } from '../../operator/src/observability/metric-catalog.js';
import { API_JOB, OPERATOR_JOB } from './config.js';

/**
 * Metric names typed from the API's and the operator's catalogs, so a metric renamed or removed
 * there breaks this package's build instead of leaving an alert that can never fire.
 */
type NamesOf<Catalog, Type extends string> = {
  [Key in keyof Catalog]: Catalog[Key] extends { name: infer Name extends string; type: Type } ? Name : never;
}[keyof Catalog];

type ApiMetric = NamesOf<typeof API_METRICS, string>;
type ApiHistogram = NamesOf<typeof API_METRICS, 'histogram'>;
type OperatorMetric = NamesOf<typeof OPERATOR_METRICS, string>;

function selector(metric: string, job: string, matchers: readonly string[]): string {
  return `${metric}{${[`job="${job}"`, ...matchers].join(', ')}}`;
}

export const api = (metric: ApiMetric, ...matchers: string[]) => selector(metric, API_JOB, matchers);

/** One series family of an API histogram: `_bucket` (by `le`) or `_count`. */
export const apiHistogram = (metric: ApiHistogram, series: '_bucket' | '_count', ...matchers: string[]) =>
  selector(`${metric}${series}`, API_JOB, matchers);

export const operator = (metric: OperatorMetric, ...matchers: string[]) =>
  selector(metric, OPERATOR_JOB, matchers);

/** Prometheus' own per-target `up`, for a job. */
export const up = (job: string) => `up{job="${job}"}`;

export const rate = (series: string, window: string) => `rate(${series}[${window}])`;

export const increase = (series: string, window: string) => `increase(${series}[${window}])`;

export const sumBy = (labels: readonly string[], expr: string) => `sum by (${labels.join(', ')}) (${expr})`;

export const maxBy = (labels: readonly string[], expr: string) => `max by (${labels.join(', ')}) (${expr})`;

/**
 * part / whole, where a part with no series (no 5xx yet) counts as 0 instead of making the ratio
 * vanish, so an error ratio is recorded as 0 rather than missing. Both sides need the same labels.
 */
export const ratio = (part: string, whole: string) => `(\n  ${part}\nor\n  ${whole} * 0\n)\n/\n${whole}`;
