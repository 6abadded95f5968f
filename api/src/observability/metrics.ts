import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { CacheOutcome } from '../cache/query-cache.js';
import { KEY_STATES, type KeySet } from '../domain/tokens/key-set.js';
import {
  API_METRICS,
  AUTH_EVENTS,
  type AuthEvent,
  CIRCUIT_BREAKER_STATES,
  type CircuitBreakerState,
  DB_DURATION_BUCKETS,
  HTTP_DURATION_BUCKETS,
  KEY_SET_RELOAD_RESULTS,
  type KeySetReloadResult,
  PASSWORD_HASH_JOB_STATES,
  type PasswordHashJobState,
  PRINCIPAL_LOOKUP_RESULTS,
  type PrincipalLookupResult,
  QUERY_CACHE_NAMESPACES,
  QUERY_CACHE_OUTCOMES,
  RATE_LIMIT_SCOPES,
  type RateLimitScope,
} from './metric-catalog.js';

export interface PoolState {
  used: number;
  free: number;
  pending: number;
}

const {
  httpRequests,
  httpRequestDuration,
  dbQueryDuration,
  dbPoolConnections,
  dbCircuitBreakerState,
  authEvents,
  passwordHashJobs,
  principalLookups,
  queryCacheReads,
  passwordHashRefusals,
  rateLimitRefusals,
  rateLimitFallbacks,
  keySetReloads,
  keySetLastReloadSuccess,
  keySetKeys,
} = API_METRICS;

interface CatalogMetric {
  name: string;
  help: string;
  labels: readonly string[];
}

/**
 * One registry per app instance (never prom-client's global one), so several instances in one
 * process, as in tests, keep their own counts.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const counter = (metric: CatalogMetric) =>
    new Counter({ ...metric, labelNames: metric.labels, registers: [registry] });
  const gauge = (metric: CatalogMetric) =>
    new Gauge({ ...metric, labelNames: metric.labels, registers: [registry] });

  const requests = counter(httpRequests);
  const requestDuration = new Histogram({
    ...httpRequestDuration,
    labelNames: httpRequestDuration.labels,
    buckets: HTTP_DURATION_BUCKETS,
    registers: [registry],
  });
  const queryDuration = new Histogram({
    ...dbQueryDuration,
    labelNames: dbQueryDuration.labels,
    buckets: DB_DURATION_BUCKETS,
    registers: [registry],
  });
  const events = counter(authEvents);
  // Zero-initialised so a rate() over an event that has not happened yet is 0, not "no data".
  for (const event of AUTH_EVENTS) events.inc({ event }, 0);

  const hashRefusals = counter(passwordHashRefusals);
  const cacheReads = counter(queryCacheReads);
  for (const namespace of QUERY_CACHE_NAMESPACES) {
    for (const outcome of QUERY_CACHE_OUTCOMES) cacheReads.inc({ namespace, outcome }, 0);
  }
  const lookups = counter(principalLookups);
  for (const result of PRINCIPAL_LOOKUP_RESULTS) lookups.inc({ result }, 0);

  let hashJobs: (() => Record<PasswordHashJobState, number>) | undefined;
  new Gauge({
    ...passwordHashJobs,
    labelNames: passwordHashJobs.labels,
    registers: [registry],
    collect() {
      const jobs = hashJobs?.();
      for (const state of PASSWORD_HASH_JOB_STATES) this.set({ state }, jobs?.[state] ?? 0);
    },
  });

  const refusals = counter(rateLimitRefusals);
  for (const scope of RATE_LIMIT_SCOPES) refusals.inc({ scope }, 0);
  const fallbacks = counter(rateLimitFallbacks);

  const reloads = counter(keySetReloads);
  for (const result of KEY_SET_RELOAD_RESULTS) reloads.inc({ result }, 0);
  const lastReloadSuccess = gauge(keySetLastReloadSuccess);
  const keysByState = gauge(keySetKeys);

  let poolState: (() => PoolState | undefined) | undefined;
  new Gauge({
    ...dbPoolConnections,
    labelNames: dbPoolConnections.labels,
    registers: [registry],
    collect() {
      const state = poolState?.();
      if (!state) return;
      for (const [name, value] of Object.entries(state)) this.set({ state: name }, value);
    },
  });

  return {
    registry,
    observeRequest(method: string, route: string, status: number, seconds: number) {
      requests.inc({ method, route, status: String(status) });
      requestDuration.observe({ method, route }, seconds);
    },
    observeQuery(operation: string, seconds: number) {
      queryDuration.observe({ operation }, seconds);
    },
    recordAuthEvent(event: AuthEvent) {
      events.inc({ event });
    },
    recordPrincipalLookup(result: PrincipalLookupResult) {
      lookups.inc({ result });
    },
    recordQueryCacheRead(namespace: string, outcome: CacheOutcome) {
      cacheReads.inc({ namespace, outcome });
    },
    recordPasswordHashRefusal() {
      hashRefusals.inc();
    },
    /** The hashing queue is read when Prometheus scrapes, not polled. */
    watchPasswordHashing(read: () => Record<PasswordHashJobState, number>) {
      hashJobs = read;
    },
    recordRateLimitRefusal(scope: RateLimitScope) {
      refusals.inc({ scope });
    },
    recordRateLimitFallback(limiter: string, decisions = 1) {
      fallbacks.inc({ limiter }, decisions);
    },
    recordKeySetReload(result: KeySetReloadResult) {
      reloads.inc({ result });
    },
    /** The key set now in use: at start-up and after each successful reload. */
    observeKeySet(keySet: KeySet, loadedAt: Date) {
      lastReloadSuccess.set(loadedAt.getTime() / 1000);
      const keys = [...keySet.byKid.values()];
      for (const state of KEY_STATES)
        keysByState.set({ state }, keys.filter((key) => key.state === state).length);
    },
    /** The pool is read when Prometheus scrapes, not polled. */
    watchPool(read: () => PoolState | undefined) {
      poolState = read;
    },
    /**
     * The breaker is read when Prometheus scrapes. Its gauge is registered here, once, because the
     * breaker exists only after the database is set up, and a gauge without it would be all zeros.
     */
    watchBreaker(read: () => CircuitBreakerState) {
      new Gauge({
        ...dbCircuitBreakerState,
        labelNames: dbCircuitBreakerState.labels,
        registers: [registry],
        collect() {
          const current = read();
          for (const state of CIRCUIT_BREAKER_STATES) this.set({ state }, state === current ? 1 : 0);
        },
      });
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
