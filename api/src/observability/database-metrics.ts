import type { Knex } from 'knex';
import type { Metrics } from './metrics.js';

interface QueryEvent {
  __knexQueryUid?: string;
  method?: string;
}

/** knex's query methods mapped onto a small, fixed set of operation labels. */
const OPERATION_BY_METHOD: Record<string, string> = {
  select: 'select',
  first: 'select',
  pluck: 'select',
  insert: 'insert',
  update: 'update',
  del: 'delete',
  delete: 'delete',
  raw: 'raw',
};

interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
}

/** Times every query knex runs and exposes its connection pool, without touching the queries. */
export function instrumentDatabase(knex: Knex, metrics: Metrics): void {
  const started = new Map<string, { at: bigint; operation: string }>();
  const finish = (_response: unknown, query: QueryEvent) => {
    const uid = query.__knexQueryUid;
    const start = uid === undefined ? undefined : started.get(uid);
    if (!uid || !start) return;
    started.delete(uid);
    metrics.observeQuery(start.operation, Number(process.hrtime.bigint() - start.at) / 1e9);
  };
  knex.on('query', (query: QueryEvent) => {
    if (query.__knexQueryUid === undefined) return;
    const operation = OPERATION_BY_METHOD[query.method ?? 'raw'] ?? 'other';
    started.set(query.__knexQueryUid, { at: process.hrtime.bigint(), operation });
  });
  knex.on('query-response', finish);
  knex.on('query-error', (error: unknown, query: QueryEvent) => finish(error, query));

  metrics.watchPool(() => {
    const pool = (knex.client as { pool?: Partial<TarnPool> }).pool;
    if (typeof pool?.numUsed !== 'function') return undefined;
    return {
      used: pool.numUsed(),
      free: (pool as TarnPool).numFree(),
      pending: (pool as TarnPool).numPendingAcquires(),
    };
  });
}
