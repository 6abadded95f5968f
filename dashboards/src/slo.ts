/**
 * The API's SLOs as the dashboards measure them. The burn-rate panels compute from the raw metrics
 * rather than from the alerts' recording rules, so the dashboards work without those rules loaded.
 */

/** 99.9 % of requests answered without a 5xx over the period. 4xx (429 included) are the client's. */
export const AVAILABILITY_OBJECTIVE = 0.999;

/**
 * 99 % of requests answered within 250 ms. The target is 300 ms, but only a bucket boundary can
 * split fast from slow requests, and 0.25 s is the nearest boundary that does not loosen it.
 */
export const LATENCY_THRESHOLD_SECONDS = 0.25;
export const LATENCY_OBJECTIVE = 0.99;

export const SLO_PERIOD = '30d';

/**
 * The Google SRE workbook's paging tiers (table 5-8): burning faster than 14.4× over 1 h spends 2 %
 * of a 30-day budget, 6× over 6 h spends 5 %; 5 m is the 1 h tier's short window.
 */
export const BURN_RATE_WINDOWS = ['5m', '1h', '6h'] as const;
export const FAST_BURN_RATE = 14.4;
export const SLOW_BURN_RATE = 6;

/** The error budget: the share of requests allowed to fail the objective. */
export const budget = (objective: number) => Number((1 - objective).toFixed(6));
