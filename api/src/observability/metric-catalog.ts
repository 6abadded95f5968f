/**
 * Every metric the API exports, in one place: the code registers these and nothing else, and
 * dashboards and alerts are written against these names (a test proves each one is exported).
 */
export const API_METRICS = {
  httpRequests: {
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route template and status code.',
    type: 'counter',
    labels: ['method', 'route', 'status'],
  },
  httpRequestDuration: {
    name: 'http_request_duration_seconds',
    help: 'Time from receiving an HTTP request to finishing its response, by method and route template.',
    type: 'histogram',
    labels: ['method', 'route'],
  },
  dbQueryDuration: {
    name: 'db_query_duration_seconds',
    help: 'Duration of database queries, by operation (select, insert, update, delete, raw).',
    type: 'histogram',
    labels: ['operation'],
  },
  dbPoolConnections: {
    name: 'db_pool_connections',
    help: 'Database pool connections by state: used, free, and pending (requests waiting for one).',
    type: 'gauge',
    labels: ['state'],
  },
  dbCircuitBreakerState: {
    name: 'db_circuit_breaker_state',
    help: 'The database circuit breaker: 1 for its current state, 0 for the others. Open: queries are answered db.unavailable without trying the database; half-open: one probe is trying it.',
    type: 'gauge',
    labels: ['state'],
  },
  authEvents: {
    name: 'auth_events_total',
    help: 'Authentication events (login success/failure, register, refresh, grace answer, reuse detected, ...).',
    type: 'counter',
    labels: ['event'],
  },
  passwordHashJobs: {
    name: 'password_hash_jobs',
    help: 'Password hashes (argon2id) by state: running (at most PASSWORD_HASH_CONCURRENCY) and waiting for a slot (the queue, at most PASSWORD_HASH_QUEUE_MAX).',
    type: 'gauge',
    labels: ['state'],
  },
  principalLookups: {
    name: 'principal_lookups_total',
    help: 'Authenticated requests by where the live-session check was answered: hit (memory), miss (database, then remembered), bypass (database; the cache is off or cannot hear invalidations, e.g. Redis is unreachable).',
    type: 'counter',
    labels: ['result'],
  },
  queryCacheReads: {
    name: 'query_cache_reads_total',
    help: 'Reads of the Redis query cache by namespace and outcome: hit, miss (read from the database, then kept) or error (Redis failed; read from the database).',
    type: 'counter',
    labels: ['namespace', 'outcome'],
  },
  passwordHashRefusals: {
    name: 'password_hash_refusals_total',
    help: 'Password hashes refused at once because PASSWORD_HASH_QUEUE_MAX were already waiting. Each refusal answered its request 503 service.overloaded, except an upgrade of an old hash at login, which waits for the next login.',
    type: 'counter',
    labels: [],
  },
  rateLimitRefusals: {
    name: 'rate_limit_refusals_total',
    help: 'Requests refused with 429 by a rate limit, by the limit that refused them (scope).',
    type: 'counter',
    labels: ['scope'],
  },
  rateLimitFallbacks: {
    name: 'rate_limit_fallback_decisions_total',
    help: 'Rate-limit decisions made in process because Redis failed, by limiter.',
    type: 'counter',
    labels: ['limiter'],
  },
  keySetReloads: {
    name: 'jwt_key_set_reloads_total',
    help: 'Checks of the JWT key-set file that found content other than the key set in use, by result: success (now in use) or failure (unreadable or invalid; the last good key set stays, and each check while it lasts counts).',
    type: 'counter',
    labels: ['result'],
  },
  keySetLastReloadSuccess: {
    name: 'jwt_key_set_last_reload_success_timestamp_seconds',
    help: 'When the JWT key set in use was loaded (at start-up or by the last successful reload), in Unix seconds.',
    type: 'gauge',
    labels: [],
  },
  keySetKeys: {
    name: 'jwt_key_set_keys',
    help: 'Keys of the JWT key set in use, by state (next, current, previous).',
    type: 'gauge',
    labels: ['state'],
  },
} as const;

/** The route label of requests that matched no route, so unknown paths cannot create series. */
export const UNMATCHED_ROUTE = 'unmatched';

/** 5 ms to 10 s: below 5 ms nothing is actionable, above 10 s the client has given up. */
export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const DB_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export const CIRCUIT_BREAKER_STATES = ['closed', 'open', 'half-open'] as const;

export type CircuitBreakerState = (typeof CIRCUIT_BREAKER_STATES)[number];

export const AUTH_EVENTS = [
  'register',
  'login_success',
  'login_failure',
  'refresh',
  'refresh_grace',
  'refresh_reuse_detected',
  'logout',
  'logout_all',
  'session_revoked',
  'password_changed',
  'account_deleted',
  'reauth_failure',
  'reauth_session_ended',
  'rate_limited',
] as const;

export type AuthEvent = (typeof AUTH_EVENTS)[number];

export const PASSWORD_HASH_JOB_STATES = ['running', 'waiting'] as const;

export type PasswordHashJobState = (typeof PASSWORD_HASH_JOB_STATES)[number];

/**
 * The limits a refusal is counted by: per address (every request, sign-ups, logins), per client of
 * an account (its window and its back-off), per account, and per session (refreshes).
 */
export const RATE_LIMIT_SCOPES = [
  'ip',
  'register',
  'login_ip',
  'login_client',
  'login_account',
  'login_backoff',
  'refresh',
] as const;

export type RateLimitScope = (typeof RATE_LIMIT_SCOPES)[number];

/** Namespaces of the query cache; their series exist from the start, so rate() is 0 before a read. */
export const QUERY_CACHE_NAMESPACES = ['user-listing'] as const;

export type QueryCacheNamespace = (typeof QUERY_CACHE_NAMESPACES)[number];

export const QUERY_CACHE_OUTCOMES = ['hit', 'miss', 'error'] as const;

export const PRINCIPAL_LOOKUP_RESULTS = ['hit', 'miss', 'bypass'] as const;

export type PrincipalLookupResult = (typeof PRINCIPAL_LOOKUP_RESULTS)[number];

export const KEY_SET_RELOAD_RESULTS = ['success', 'failure'] as const;

export type KeySetReloadResult = (typeof KEY_SET_RELOAD_RESULTS)[number];
