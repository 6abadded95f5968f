import { API_APP_LABELS, API_JOB, NOT_USER_TRAFFIC } from './config.js';
import { api, increase, maxBy, rate, sumBy, up } from './promql.js';
import type { AlertDefinition } from './rule-types.js';

const APP = '{{ $labels.namespace }}/{{ $labels.service }}';
const byApp = (expr: string) => sumBy(API_APP_LABELS, expr);
const requests = (...matchers: string[]) => api('http_requests_total', NOT_USER_TRAFFIC, ...matchers);

/**
 * Symptoms of the API the error budgets do not show: it is not there to count requests at all,
 * one route fails while the rest hide it, or the traffic looks like an attack.
 */
export const API_ALERTS: readonly AlertDefinition[] = [
  {
    alert: 'ApiAbsent',
    // Per app while its targets exist but none answers (crash loop, wedged event loop); absent()
    // for when there is no target at all (no pod, or the scrape configuration lost them).
    expr: `${maxBy(API_APP_LABELS, up(API_JOB))} == 0\nor\nabsent(${up(API_JOB)})`,
    for: '5m',
    labels: { severity: 'critical' },
    annotations: {
      summary: 'Prometheus cannot scrape the API.',
      description:
        `{{ if $labels.service }}No pod of ${APP}{{ else }}No target of job {{ $labels.job }}{{ end }} ` +
        'has answered a scrape for 5 minutes: the API is down or unreachable, and its SLO alerts are blind.',
    },
  },
  {
    alert: 'ApiDatabaseUnavailable',
    // The breaker opens after 5 connection failures in a row and half-opens every 3 s to probe:
    // both mean the pod answers 503 db.unavailable.
    expr: `${byApp(api('db_circuit_breaker_state', 'state=~"open|half-open"'))} > 0`,
    for: '2m',
    labels: { severity: 'critical' },
    annotations: {
      summary: 'The API cannot reach its database.',
      description:
        `The database circuit breaker of {{ $value }} pod(s) of ${APP} has been open for 2 minutes: ` +
        'they answer 503 db.unavailable to every request that needs PostgreSQL, and readiness fails.',
    },
  },
  {
    alert: 'ApiServerErrorsHigh',
    // Per route: one broken route with little traffic hardly moves the availability SLO.
    expr: `(\n  ${sumBy([...API_APP_LABELS, 'route'], rate(requests('status=~"5.."'), '5m'))}\n/\n  ${sumBy([...API_APP_LABELS, 'route'], rate(requests(), '5m'))}\n) > 0.05`,
    for: '10m',
    labels: { severity: 'warning' },
    annotations: {
      summary: 'An API route answers more than 5% of its requests with a server error.',
      description: `${APP} answered {{ $value | humanizePercentage }} of {{ $labels.route }} requests with a 5xx over the last 5 minutes.`,
    },
  },
  {
    alert: 'ApiRefreshTokenReuseBurst',
    // A client race within the grace window is not counted; outside it a few a day are buggy
    // clients, a burst is stolen tokens being replayed.
    expr: `${byApp(increase(api('auth_events_total', 'event="refresh_reuse_detected"'), '15m'))} > 10`,
    for: '5m',
    labels: { severity: 'warning' },
    annotations: {
      summary: 'Many already rotated refresh tokens are being presented: possible token theft.',
      description:
        `${APP} saw {{ $value | humanize }} already rotated refresh tokens in the last 15 minutes. ` +
        'Each ended its session, so the sessions of the users concerned are gone; find where the tokens came from.',
    },
  },
  {
    alert: 'ApiLoginFailureBurst',
    // Both: many failures (not a handful at night) that are most of the logins (not a busy morning).
    expr:
      `${byApp(rate(api('auth_events_total', 'event="login_failure"'), '5m'))} > 1\nand\n` +
      `(\n  ${byApp(rate(api('auth_events_total', 'event="login_failure"'), '5m'))}\n/\n  ` +
      `${byApp(rate(api('auth_events_total', 'event=~"login_success|login_failure"'), '5m'))}\n) > 0.5`,
    for: '10m',
    labels: { severity: 'warning' },
    annotations: {
      summary: 'Most logins fail, at a high rate: possible credential stuffing.',
      description:
        `${APP} refused {{ $value | humanize }} logins per second over the last 5 minutes, ` +
        'more than half of all its logins.',
    },
  },
  {
    alert: 'ApiRateLimitSurge',
    expr: `(\n  ${byApp(rate(requests('status="429"'), '5m'))}\n/\n  ${byApp(rate(requests(), '5m'))}\n) > 0.1`,
    for: '15m',
    labels: { severity: 'warning' },
    annotations: {
      summary: 'The API refuses more than 10% of its requests with 429.',
      description: `${APP} answered {{ $value | humanizePercentage }} of its requests with 429 (rate limited) over the last 5 minutes.`,
    },
  },
  {
    alert: 'ApiKeySetReloadFailing',
    // A failure is counted at every check (10 s) while the bad file stays, so this lasts as long;
    // for: 10m is longer than the window, so one refused check of a half-written file does not fire.
    expr: `${byApp(increase(api('jwt_key_set_reloads_total', 'result="failure"'), '5m'))} > 0`,
    for: '10m',
    labels: { severity: 'warning' },
    annotations: {
      summary: 'The API refuses its JWT key-set file and keeps signing with an older key set.',
      description:
        `${APP} refused its JWT key-set file {{ $value | humanize }} times in the last 5 minutes; ` +
        'key rotations do not reach it until the file is valid again.',
    },
  },
];
