import type { ReadinessReport } from '../http/routes/public-routes.js';
import { pendingMigrations } from './migration-source.js';
import type { ResilientDatabase } from './resilient-database.js';

/**
 * Ready means: the database answers, the circuit breaker is closed, and every migration this build
 * knows has been applied. The checks go through the breaker like any request, so while it is open
 * probes cost the database nothing, and once it may half-open a probe is what closes it again even
 * when no traffic arrives (a load balancer sends none to an instance that is not ready).
 */
export async function databaseReadiness(database: ResilientDatabase): Promise<ReadinessReport> {
  try {
    await database.read((knex) => knex.raw('select 1'));
  } catch {
    return {
      ready: false,
      checks: { database: 'unreachable', breaker: database.breakerState, migrations: 'unknown' },
    };
  }
  const breaker = database.breakerState;
  try {
    const pending = await database.read((knex) => pendingMigrations(knex));
    return pending.length === 0
      ? { ready: breaker === 'closed', checks: { database: 'ok', breaker, migrations: 'applied' } }
      : { ready: false, checks: { database: 'ok', breaker, migrations: `${pending.length} pending` } };
  } catch {
    return { ready: false, checks: { database: 'ok', breaker, migrations: 'not initialised' } };
  }
}
