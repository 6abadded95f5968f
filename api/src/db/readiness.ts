import type { Knex } from 'knex';
import type { ReadinessReport } from '../http/routes/public-routes.js';
import { pendingMigrations } from './migration-source.js';

/** Ready means: the database answers and every migration this build knows has been applied. */
export async function databaseReadiness(knex: Knex): Promise<ReadinessReport> {
  try {
    await knex.raw('select 1');
  } catch {
    return { ready: false, checks: { database: 'unreachable', migrations: 'unknown' } };
  }
  try {
    const pending = await pendingMigrations(knex);
    return pending.length === 0
      ? { ready: true, checks: { database: 'ok', migrations: 'applied' } }
      : { ready: false, checks: { database: 'ok', migrations: `${pending.length} pending` } };
  } catch {
    return { ready: false, checks: { database: 'ok', migrations: 'not initialised' } };
  }
}
