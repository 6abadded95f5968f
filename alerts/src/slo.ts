import { API_APP_LABELS, NOT_USER_TRAFFIC } from './config.js';
import { api, apiHistogram, rate, ratio, sumBy } from './promql.js';
import type { AlertDefinition, RecordingRule } from './rule-types.js';

/** The period every objective is measured over: the SRE workbook's burn rates assume 30 days. */
export const SLO_PERIOD = '30d';

/**
 * One row of the SRE workbook's Table 5-8 ("Alerting on SLOs", recommended parameters): alert
 * when the error ratio exceeds `factor` × the error budget over both windows. The long window
 * makes it significant, the short one (1/12 of it) makes it stop soon after the burning stops.
 */
export interface BurnRateTier {
  severity: 'critical' | 'warning';
  long: string;
  short: string;
  factor: number;
  /** kubernetes-mixin's: long enough to ride out a blip, short against the window. */
  for: string;
}

/**
 * The workbook's three tiers, and no more: two pages for budget going fast (2% in an hour, 5% in
 * six hours) and one ticket for the slow leak that would use up 10% in three days. The fourth
 * tier sloth and kubernetes-mixin add (3× over 1d/2h) catches the same slow burns as the ticket,
 * somewhat earlier, at the cost of a second ticket for each.
 */
export const BURN_RATE_TIERS: readonly BurnRateTier[] = [
  { severity: 'critical', long: '1h', short: '5m', factor: 14.4, for: '2m' },
  { severity: 'critical', long: '6h', short: '30m', factor: 6, for: '15m' },
  { severity: 'warning', long: '3d', short: '6h', factor: 1, for: '3h' },
];

const UNIT_HOURS: Record<string, number> = { m: 1 / 60, h: 1, d: 24 };

/** A Prometheus duration of one unit (`5m`, `6h`, `3d`), in hours. */
export function hours(duration: string): number {
  const match = /^(\d+)([mhd])$/.exec(duration);
  const unit = match?.[2];
  if (!match || unit === undefined) throw new Error(`not a single-unit duration: ${duration}`);
  return Number(match[1]) * (UNIT_HOURS[unit] as number);
}

/** Rounded, so 1 - 0.999 reads 0.001 and not 0.0010000000000000009. */
const round = (value: number) => Number(value.toPrecision(6));

const percent = (fraction: number) => `${round(fraction * 100)}%`;

export interface Slo {
  /** The `slo` label of its recording rules and alerts. */
  name: string;
  alert: string;
  /** Share of good events, e.g. 0.999. */
  objective: number;
  summary: string;
  /** What made an event bad, to finish "… of its requests …". */
  bad: string;
  /** The share of bad events over a window, per app (API_APP_LABELS). */
  errorRatio(window: string): string;
}

/** The latency objective's bound: it must be a bucket boundary of the API's duration histogram. */
export const LATENCY_THRESHOLD_SECONDS = 0.25;

const requests = (...matchers: string[]) => api('http_requests_total', NOT_USER_TRAFFIC, ...matchers);

/**
 * Measured where the API answers, so requests that never reach it (it is down, or the ingress
 * fails) are not counted here: `ApiAbsent` covers those. Rate-limit refusals (429) are the API
 * working as designed and do not count against availability.
 */
export const SLOS: readonly Slo[] = [
  {
    name: 'api-availability',
    alert: 'ApiAvailabilityErrorBudgetBurn',
    objective: 0.999,
    summary: 'The API is spending its availability error budget too fast.',
    bad: 'failed with a 5xx',
    errorRatio: (window) =>
      ratio(
        sumBy(API_APP_LABELS, rate(requests('status=~"5.."'), window)),
        sumBy(API_APP_LABELS, rate(requests(), window)),
      ),
  },
  {
    name: 'api-latency',
    alert: 'ApiLatencyErrorBudgetBurn',
    objective: 0.99,
    summary: 'The API is spending its latency error budget too fast.',
    bad: `took longer than ${LATENCY_THRESHOLD_SECONDS * 1000}ms`,
    errorRatio: (window) => {
      const name = 'http_request_duration_seconds';
      const fast = apiHistogram(name, '_bucket', NOT_USER_TRAFFIC, `le="${LATENCY_THRESHOLD_SECONDS}"`);
      const all = apiHistogram(name, '_count', NOT_USER_TRAFFIC);
      return `1 - (\n  ${sumBy(API_APP_LABELS, rate(fast, window))}\n/\n  ${sumBy(API_APP_LABELS, rate(all, window))}\n)`;
    },
  },
];

/** sloth's name for the recorded error ratio, so dashboards written for sloth's rules read these. */
export const errorRatioRecord = (window: string) => `slo:sli_error:ratio_rate${window}`;

/** Every window a tier uses, shortest first: each is recorded once per SLO. */
export const RECORDED_WINDOWS: readonly string[] = [
  ...new Set(BURN_RATE_TIERS.flatMap((tier) => [tier.long, tier.short])),
].sort((a, b) => hours(a) - hours(b));

export function sloRecordingRules(slo: Slo): RecordingRule[] {
  return RECORDED_WINDOWS.map((window) => ({
    record: errorRatioRecord(window),
    expr: slo.errorRatio(window),
    labels: { slo: slo.name },
  }));
}

export function sloAlerts(slo: Slo): AlertDefinition[] {
  const budget = round(1 - slo.objective);
  return BURN_RATE_TIERS.map((tier) => {
    const threshold = `(${tier.factor} * ${budget})`;
    const over = (window: string) => `${errorRatioRecord(window)}{slo="${slo.name}"} > ${threshold}`;
    const spent = percent((tier.factor * hours(tier.long)) / hours(SLO_PERIOD));
    return {
      alert: slo.alert,
      expr: `${over(tier.long)}\nand\n${over(tier.short)}`,
      for: tier.for,
      labels: { severity: tier.severity, long: tier.long, short: tier.short },
      annotations: {
        summary: slo.summary,
        description:
          `{{ $labels.namespace }}/{{ $labels.service }}: {{ $value | humanizePercentage }} of requests ` +
          `${slo.bad} over the last ${tier.long} (and over the last ${tier.short}), ${tier.factor}× what ` +
          `the ${percent(slo.objective)} objective allows: at this rate ${spent} of the error budget of ` +
          `${hours(SLO_PERIOD) / 24} days goes in ${tier.long}.`,
      },
    };
  });
}
