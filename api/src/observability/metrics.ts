import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import {
  API_METRICS,
  AUTH_EVENTS,
  type AuthEvent,
  DB_DURATION_BUCKETS,
  HTTP_DURATION_BUCKETS,
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
  authEvents,
  rateLimitFallbacks,
} = API_METRICS;

/**
 * One registry per app instance (never prom-client's global one), so several instances in one
 * process, as in tests, keep their own counts.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const requests = new Counter({ ...httpRequests, labelNames: httpRequests.labels, registers: [registry] });
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
  const events = new Counter({ ...authEvents, labelNames: authEvents.labels, registers: [registry] });
  // Zero-initialised so a rate() over an event that has not happened yet is 0, not "no data".
  for (const event of AUTH_EVENTS) events.inc({ event }, 0);

  const fallbacks = new Counter({
    ...rateLimitFallbacks,
    labelNames: rateLimitFallbacks.labels,
    registers: [registry],
  });

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
    recordRateLimitFallback(limiter: string) {
      fallbacks.inc({ limiter });
    },
    /** The pool is read when Prometheus scrapes, not polled. */
    watchPool(read: () => PoolState | undefined) {
      poolState = read;
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
