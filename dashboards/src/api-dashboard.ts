import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import type { AuthEvent } from '../../api/src/observability/metric-catalog.js';
import { buildDashboard, type Row } from './dashboard.js';
import { heatmap, stat, timeseries } from './panels.js';
import { processRow } from './process-row.js';
import {
  bucketRates,
  gauge,
  increase,
  observations,
  observationsBelow,
  orZero,
  quantile,
  rate,
  ratio,
  sumBy,
} from './promql.js';
import {
  AVAILABILITY_OBJECTIVE,
  BURN_RATE_WINDOWS,
  budget,
  FAST_BURN_RATE,
  LATENCY_OBJECTIVE,
  LATENCY_THRESHOLD_SECONDS,
  SLO_PERIOD,
  SLOW_BURN_RATE,
} from './slo.js';

const REQUESTS = 'http_requests_total';
const DURATION = 'http_request_duration_seconds';
const SERVER_ERRORS = ['status=~"5.."'];

const requests = (by: readonly string[], matchers?: readonly string[], window?: string) =>
  sumBy(by, rate(REQUESTS, matchers, window));

/** Share of requests answered with a 5xx, per `by` group; 0 while there are none. */
const errorRatio = (by: readonly string[], window?: string) =>
  ratio(requests(by, SERVER_ERRORS, window), requests(by, [], window));

/** Share of requests slower than the latency SLO's threshold. */
const slowRatio = (window: string) =>
  `1 - ${sumBy([], observationsBelow(DURATION, LATENCY_THRESHOLD_SECONDS, window))} / ${sumBy([], observations(DURATION, [], window))}`;

const availabilityBudget = budget(AVAILABILITY_OBJECTIVE);
const latencyBudget = budget(LATENCY_OBJECTIVE);

const latencyThresholds = [
  { value: null, color: 'green' },
  { value: LATENCY_THRESHOLD_SECONDS, color: 'orange' },
  { value: 1, color: 'red' },
];

const errorRatioThresholds = [
  { value: null, color: 'green' },
  { value: availabilityBudget, color: 'orange' },
  { value: availabilityBudget * 10, color: 'red' },
];

const burnRateThresholds = [
  { value: null, color: 'green' },
  { value: SLOW_BURN_RATE, color: 'orange' },
  { value: FAST_BURN_RATE, color: 'red' },
];

const red: Row = {
  title: 'Requests (rate, errors, duration)',
  panels: [
    stat({
      title: 'Request rate',
      description: 'Requests per second the API answers, all routes and statuses.',
      unit: 'reqps',
      width: 8,
      queries: [{ expr: requests([]), legend: 'requests' }],
    }),
    stat({
      title: 'Server error ratio',
      description: `Share of requests answered with a 5xx. Orange from the availability SLO's error budget (${availabilityBudget}); a ratio held there spends the budget exactly over the SLO period.`,
      unit: 'percentunit',
      width: 8,
      thresholds: errorRatioThresholds,
      queries: [{ expr: errorRatio([]), legend: '5xx' }],
    }),
    stat({
      title: 'Latency p99',
      description: `99th percentile of the time to answer a request, from the histogram's buckets. Orange from the latency SLO's threshold (${LATENCY_THRESHOLD_SECONDS} s).`,
      unit: 's',
      width: 8,
      thresholds: latencyThresholds,
      queries: [{ expr: quantile(0.99, DURATION), legend: 'p99' }],
    }),
    timeseries({
      title: 'Requests by route',
      description:
        'Requests per second per method and route template. Paths that match no route count as "unmatched".',
      unit: 'reqps',
      queries: [{ expr: requests(['method', 'route']), legend: '{{method}} {{route}}' }],
    }),
    timeseries({
      title: 'Responses by status',
      description: 'Responses per second per HTTP status code, stacked: the top line is the total.',
      unit: 'reqps',
      stacked: true,
      queries: [{ expr: requests(['status']), legend: '{{status}}' }],
    }),
    timeseries({
      title: 'Server error ratio by route',
      description: `Share of each route's requests answered with a 5xx (0 for a route with none). The dashed line is the availability SLO's error budget (${availabilityBudget}).`,
      unit: 'percentunit',
      width: 24,
      thresholds: errorRatioThresholds,
      queries: [{ expr: errorRatio(['route']), legend: '{{route}}' }],
    }),
  ],
};

const latency: Row = {
  title: 'Latency',
  panels: [
    timeseries({
      title: 'Latency percentiles',
      description: `Median, 90th and 99th percentile of the time to answer a request, all routes. Estimated within the histogram's buckets; the dashed line is the latency SLO's threshold (${LATENCY_THRESHOLD_SECONDS} s). Points link to traces where exemplars are stored.`,
      unit: 's',
      exemplars: true,
      thresholds: latencyThresholds,
      queries: [0.5, 0.9, 0.99].map((q) => ({ expr: quantile(q, DURATION), legend: `p${q * 100}` })),
    }),
    timeseries({
      title: 'Latency p99 by route',
      description: '99th percentile of the time to answer a request, per method and route template.',
      unit: 's',
      exemplars: true,
      thresholds: latencyThresholds,
      queries: [{ expr: quantile(0.99, DURATION, ['method', 'route']), legend: '{{method}} {{route}}' }],
    }),
    heatmap({
      title: 'Latency distribution',
      description:
        'Requests per second in each latency bucket over time, all routes: a second band or a drift upwards shows what a percentile hides.',
      unit: 'reqps',
      yUnit: 's',
      exemplars: true,
      queries: [{ expr: sumBy(['le'], bucketRates(DURATION)), legend: '{{le}}' }],
    }),
  ],
};

const AUTH = 'auth_events_total';
/** Auth events typed from the catalog, so a renamed event breaks the build too. */
const authEvents = (...events: AuthEvent[]) => [`event=~"${events.join('|')}"`];
const logins = (...events: AuthEvent[]) => sumBy([], rate(AUTH, authEvents(...events)));

const authentication: Row = {
  title: 'Authentication',
  panels: [
    timeseries({
      title: 'Auth events',
      description:
        'Authentication events per second by kind: registrations, logins, refreshes, logouts, revocations, password changes, deletions and rate-limit refusals.',
      unit: 'ops',
      queries: [{ expr: sumBy(['event'], rate(AUTH)), legend: '{{event}}' }],
    }),
    timeseries({
      title: 'Login failure ratio',
      description:
        'Share of login attempts that failed. A sustained rise with steady traffic points at credential stuffing or a broken client; orange from 25 %, red from 50 %.',
      unit: 'percentunit',
      thresholds: [
        { value: null, color: 'green' },
        { value: 0.25, color: 'orange' },
        { value: 0.5, color: 'red' },
      ],
      queries: [
        {
          expr: `${logins('login_failure')} / ${logins('login_success', 'login_failure')}`,
          legend: 'failed',
        },
      ],
    }),
    timeseries({
      title: 'Password hashing queue',
      description:
        'Password hashes (login, registration, password change, deletion) running and waiting for a slot, all instances. Each instance runs at most PASSWORD_HASH_CONCURRENCY and lets at most PASSWORD_HASH_QUEUE_MAX wait; waiting near that bound means logins are queueing for most of a second.',
      unit: 'short',
      queries: [{ expr: sumBy(['state'], gauge('password_hash_jobs')), legend: '{{state}}' }],
    }),
    timeseries({
      title: 'Password hashes refused',
      description:
        'Requests per second refused with 503 service.overloaded because the password-hashing queue was full (0 while there is room). Sustained refusals with few logins per address point at a distributed login flood; with normal traffic, at too few replicas.',
      unit: 'ops',
      queries: [{ expr: sumBy([], rate('password_hash_refusals_total')), legend: 'refused' }],
    }),
    timeseries({
      title: 'Live-session checks by source',
      description:
        'Authenticated requests per second by where "is this session still live?" was answered: hit (memory), miss (PostgreSQL, then remembered) or bypass (PostgreSQL every time: the cache is off, or the instance cannot hear Redis pub/sub and so cannot learn of logouts elsewhere). A rise of bypass means Redis is unreachable from some instances; their database query rate rises with it.',
      unit: 'ops',
      queries: [{ expr: sumBy(['result'], rate('principal_lookups_total')), legend: '{{result}}' }],
    }),
    timeseries({
      title: 'Query cache reads',
      description:
        'Reads of the Redis query cache (pages of the admin listing) per second by outcome: hit, miss (read from PostgreSQL, then kept) or error (Redis failed; read from PostgreSQL). Errors mean Redis is unreachable; answers stay correct but cost the database.',
      unit: 'ops',
      queries: [{ expr: sumBy(['outcome'], rate('query_cache_reads_total')), legend: '{{outcome}}' }],
    }),
    timeseries({
      title: 'Refresh-token reuse',
      description:
        'Refresh tokens presented again after being exchanged, per interval. Each one revokes the whole session family: expect 0, as one means a stolen or replayed token.',
      unit: 'short',
      width: 6,
      thresholds: [
        { value: null, color: 'green' },
        { value: 1, color: 'red' },
      ],
      queries: [
        { expr: sumBy([], increase(AUTH, authEvents('refresh_reuse_detected'))), legend: 'reuse detected' },
      ],
    }),
    timeseries({
      title: 'Signing-key reloads',
      description:
        'Changes of the JWT key-set file seen per interval, by result. A failure keeps the last good key set in use and counts again at each check until the file is fixed.',
      unit: 'short',
      width: 6,
      queries: [{ expr: sumBy(['result'], increase('jwt_key_set_reloads_total')), legend: '{{result}}' }],
    }),
    timeseries({
      title: 'Signing keys by state',
      description:
        'Keys of the JWT key set in use: next (published, not yet signing), current (signing) and previous (still verifying). Exactly one current key is expected.',
      unit: 'short',
      width: 6,
      queries: [{ expr: `max by (state) (${gauge('jwt_key_set_keys')})`, legend: '{{state}}' }],
    }),
    timeseries({
      title: 'Key set age by instance',
      description:
        'Time since each instance loaded the JWT key set it uses. Instances far apart have not all picked up the same file.',
      unit: 's',
      width: 6,
      queries: [
        {
          expr: `time() - max by (instance) (${gauge('jwt_key_set_last_reload_success_timestamp_seconds')})`,
          legend: '{{instance}}',
        },
      ],
    }),
  ],
};

const rateLimiting: Row = {
  title: 'Rate limiting',
  panels: [
    timeseries({
      title: 'Rate-limited requests by route',
      description:
        'Requests per second refused with 429 Too Many Requests, per route (0 for a route with none).',
      unit: 'reqps',
      queries: [
        { expr: orZero(requests(['route'], ['status="429"']), requests(['route'])), legend: '{{route}}' },
      ],
    }),
    timeseries({
      title: 'Rate-limited requests by limit',
      description:
        'Requests per second refused with 429, by the limit that refused them: ip (every request), register, login_ip (logins per address), login_client (password attempts per client of an account), login_account (the cap on failures per account for clients without a device cookie), login_backoff, refresh.',
      unit: 'reqps',
      queries: [{ expr: sumBy(['scope'], rate('rate_limit_refusals_total')), legend: '{{scope}}' }],
    }),
    timeseries({
      title: 'Rate-limit decisions without Redis',
      description:
        'Rate-limit decisions per second made in process because Redis failed, by limiter (0 while Redis answers). Each instance then counts alone, from the counts it last saw in Redis and RATE_LIMIT_REPLICAS times as strictly.',
      unit: 'ops',
      queries: [
        {
          expr: `${sumBy(['limiter'], rate('rate_limit_fallback_decisions_total'))} or vector(0)`,
          legend: '{{limiter}}',
        },
      ],
    }),
  ],
};

const DB_QUERIES = 'db_query_duration_seconds';

const database: Row = {
  title: 'Database',
  panels: [
    timeseries({
      title: 'Queries by operation',
      description: 'Database queries per second by operation (select, insert, update, delete, raw).',
      unit: 'ops',
      width: 6,
      queries: [{ expr: sumBy(['operation'], observations(DB_QUERIES)), legend: '{{operation}}' }],
    }),
    timeseries({
      title: 'Query latency by operation',
      description:
        "Median and 99th percentile of database query time by operation, from the histogram's buckets. Points link to traces where exemplars are stored.",
      unit: 's',
      width: 6,
      exemplars: true,
      queries: [0.5, 0.99].map((q) => ({
        expr: quantile(q, DB_QUERIES, ['operation']),
        legend: `p${q * 100} {{operation}}`,
      })),
    }),
    timeseries({
      title: 'Connection pool',
      description:
        'Connections of the database pool in use and free, and requests waiting for one (pending). Pending above 0 for long means the pool is too small or queries too slow.',
      unit: 'short',
      width: 6,
      queries: [{ expr: sumBy(['state'], gauge('db_pool_connections')), legend: '{{state}}' }],
    }),
    timeseries({
      title: 'Database circuit breaker',
      description:
        'Instances by the state of their database circuit breaker. Open: queries fail at once without reaching the database; half-open: a trial query decides whether to close again.',
      unit: 'short',
      width: 6,
      stacked: true,
      queries: [{ expr: sumBy(['state'], gauge('db_circuit_breaker_state')), legend: '{{state}}' }],
    }),
  ],
};

const slo: Row = {
  title: 'SLOs',
  panels: [
    timeseries({
      title: 'Availability burn rate',
      description: `How fast the availability SLO (${AVAILABILITY_OBJECTIVE * 100} % without a 5xx over ${SLO_PERIOD}) spends its error budget: the 5xx ratio over each window divided by the budget (${availabilityBudget}), from the raw request counter. 1 spends the budget exactly over the period; the dashed lines are the paging burn rates (${SLOW_BURN_RATE} over 6h, ${FAST_BURN_RATE} over 1h).`,
      unit: 'short',
      width: 9,
      thresholds: burnRateThresholds,
      queries: BURN_RATE_WINDOWS.map((window) => ({
        expr: `(${errorRatio([], window)}) / ${availabilityBudget}`,
        legend: window,
      })),
    }),
    timeseries({
      title: 'Latency burn rate',
      description: `How fast the latency SLO (${LATENCY_OBJECTIVE * 100} % of requests within ${LATENCY_THRESHOLD_SECONDS} s over ${SLO_PERIOD}) spends its error budget: the share of requests slower than the ${LATENCY_THRESHOLD_SECONDS} s bucket over each window divided by the budget (${latencyBudget}), from the raw histogram. The dashed lines are the paging burn rates.`,
      unit: 'short',
      width: 9,
      thresholds: burnRateThresholds,
      queries: BURN_RATE_WINDOWS.map((window) => ({
        expr: `(${slowRatio(window)}) / ${latencyBudget}`,
        legend: window,
      })),
    }),
    stat({
      title: 'Error budget remaining',
      description: `Share of each SLO's ${SLO_PERIOD} error budget not yet spent, computed over the last ${SLO_PERIOD} from the raw metrics. Below 0 the SLO is missed.`,
      unit: 'percentunit',
      width: 6,
      height: 8,
      thresholds: [
        { value: null, color: 'red' },
        { value: 0, color: 'orange' },
        { value: 0.25, color: 'green' },
      ],
      queries: [
        { expr: `1 - (${errorRatio([], SLO_PERIOD)}) / ${availabilityBudget}`, legend: 'availability' },
        { expr: `1 - (${slowRatio(SLO_PERIOD)}) / ${latencyBudget}`, legend: 'latency' },
      ],
    }),
  ],
};

export function apiDashboard(): Dashboard {
  return buildDashboard({
    uid: 'skeleton-api',
    title: 'Skeleton API',
    description:
      'The user/auth API: requests, latency, authentication, rate limiting, database, SLOs and process.',
    tags: ['api'],
    inventoryMetric: REQUESTS,
    rows: [red, latency, authentication, rateLimiting, database, slo, processRow('API')],
  });
}
